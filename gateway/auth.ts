import type { FastifyReply, FastifyRequest } from 'fastify';
import { type JWTPayload, type JWTVerifyOptions, createRemoteJWKSet, jwtVerify } from 'jose';
import { ErrorCode } from '../platform/errors';
import { tryParseCustomerId } from '../platform/customer-id';
import { SERVICE_TOKEN_HEADER } from '../platform/service-auth';

/** The roles a token can carry (DESIGN.md "Security"). */
export const ROLES = ['admin', 'sales', 'finance', 'operations', 'partner'] as const;
/** One of ROLES. */
export type Role = (typeof ROLES)[number];

/** Who is calling, as proven by a verified token. */
export interface Principal {
  /** The token's subject (a user or client name). */
  sub: string;
  role: Role;
  /** For partners: the API Customer.id whose data they may see. */
  customerId?: string;
}

/** Verifies a compact JWT and returns its principal, or throws AuthenticationError. */
export type TokenVerifier = (token: string) => Promise<Principal>;

/** A request that failed authentication; its message is safe to show to the client. */
export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

/** How tokens are verified: a local HS256 secret, or an identity provider's JWKS. */
export interface TokenVerifierOptions {
  jwtSecret: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** With a JWKS: the oldest `iat` accepted, in seconds. */
  maxTokenAgeSeconds?: number;
}

// Only asymmetric algorithms come from a JWKS, so a provider's public key can never be used as an HMAC secret.
const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

/** The HMAC key bytes for a JWT secret; scripts/token.ts signs with the same bytes. */
export function jwtKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/**
 * Builds the verifier: HS256 only (alg none and every other algorithm refused) with the local
 * secret, or the JWKS with issuer, audience and token-age checks when a JWKS URL is configured
 * (a provider's token lives long, and one stolen must stop working). `exp` is required.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const verifyOptions: JWTVerifyOptions = { requiredClaims: ['exp', 'sub'] };
  let verify: (token: string) => Promise<JWTPayload>;
  if (options.jwksUrl) {
    if (!options.issuer || !options.audience) throw new Error('a JWKS verifier needs an issuer and an audience');
    const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
    const jwksOptions: JWTVerifyOptions = {
      requiredClaims: ['exp', 'sub', 'iat'],
      algorithms: JWKS_ALGORITHMS,
      issuer: options.issuer,
      audience: options.audience,
      maxTokenAge: options.maxTokenAgeSeconds ?? 3600,
    };
    verify = async (token) => (await jwtVerify(token, jwks, jwksOptions)).payload;
  } else {
    const key = jwtKey(options.jwtSecret);
    const hsOptions: JWTVerifyOptions = { ...verifyOptions, algorithms: ['HS256'] };
    verify = async (token) => (await jwtVerify(token, key, hsOptions)).payload;
  }
  return async (token) => {
    let payload: JWTPayload;
    try {
      payload = await verify(token);
    } catch (error) {
      throw new AuthenticationError(describeJoseFailure(error));
    }
    return principalFromClaims(payload);
  };
}

/** Checks the claims this API relies on and turns them into a principal. */
export function principalFromClaims(payload: JWTPayload): Principal {
  const { sub, role } = payload;
  const customerClaim = payload.customer_id;
  if (typeof sub !== 'string' || sub === '') throw new AuthenticationError('token has no subject');
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    throw new AuthenticationError(`token role must be one of ${ROLES.join(', ')}`);
  }
  if (role === 'partner') {
    if (typeof customerClaim !== 'string' || !tryParseCustomerId(customerClaim)) {
      throw new AuthenticationError('a partner token needs a customer_id claim holding a customer id');
    }
    return { sub, role, customerId: customerClaim };
  }
  return { sub, role: role as Role };
}

// Tells the client which check failed without echoing the token or the library's internals.
function describeJoseFailure(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'token signature is invalid';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'token algorithm is not accepted';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `token claim check failed: ${(error as { claim?: string }).claim ?? 'claim'}`;
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'token was not signed by a known key';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JOSE_GENERIC':
      return 'token could not be verified';
    default:
      return 'token is malformed or invalid';
  }
}

/** Reads the bearer token of an Authorization header; null when none was sent. */
export function bearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  if (!match) throw new AuthenticationError('authorization header must be "Bearer <token>"');
  return match[1];
}

/** Headers that carry the principal to subgraphs; only the gateway sets them. */
export const PRINCIPAL_HEADERS = {
  sub: 'x-user-sub',
  role: 'x-user-role',
  customerId: 'x-user-customer-id',
} as const;

/** The x-user-* headers for a principal. */
export function principalHeaders(principal: Principal): Record<string, string> {
  const headers: Record<string, string> = { [PRINCIPAL_HEADERS.sub]: principal.sub, [PRINCIPAL_HEADERS.role]: principal.role };
  if (principal.customerId) headers[PRINCIPAL_HEADERS.customerId] = principal.customerId;
  return headers;
}

/** True for headers a client must never be able to set on a subgraph call. */
export function isTrustedOnlyHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('x-user-') || lower === SERVICE_TOKEN_HEADER;
}

/** The body of a 401 answer: a GraphQL error response without data. */
export function unauthenticatedBody(message: string) {
  return { errors: [{ message, extensions: { code: ErrorCode.UNAUTHENTICATED } }] };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook once the bearer token is verified. */
    principal?: Principal;
  }
}

/**
 * A Fastify onRequest hook for /graphql: verifies the bearer token before the body is read and
 * answers 401 UNAUTHENTICATED with no data when it is missing or invalid. A browser GET without a
 * token may pass to fetch the landing page; the GraphQL context refuses anything else without a
 * principal, so no operation runs unauthenticated.
 */
export function authenticationHook(verify: TokenVerifier, onRefused: (reason: string) => void) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    try {
      const token = bearerToken(req.headers.authorization);
      if (token) {
        req.principal = await verify(token);
        return undefined;
      }
      if (req.method === 'GET' && /text\/html/.test(req.headers.accept ?? '')) return undefined;
      throw new AuthenticationError('authentication required: send Authorization: Bearer <token> (npm run token -- --role ROLE)');
    } catch (error) {
      const message = error instanceof AuthenticationError ? error.message : 'token could not be verified';
      onRefused(message);
      // Returning the reply tells Fastify the request is answered and the route must not run.
      return reply.code(401).header('www-authenticate', 'Bearer').send(unauthenticatedBody(message));
    }
  };
}
