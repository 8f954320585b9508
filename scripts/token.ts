/**
 * Prints a client JWT the local stack accepts:
 *   npm run token -- --role ROLE [--customer ID] [--sub NAME] [--ttl 8h]
 * Signed HS256 with JWT_SECRET, or with the local secret in DATA_DIR/secrets.json (created if
 * absent), the same key the gateway verifies with.
 */
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { AppError, ErrorCode } from '../platform/errors';
import { tryParseCustomerId } from '../platform/customer-id';
import { ROLES, type Role, jwtKey } from '../gateway/auth';
import { loadGatewayConfig } from '../gateway/config';

/** What a token says about its holder. */
export interface TokenRequest {
  /** HS256 key (the gateway's JWT_SECRET). */
  secret: string;
  role: string;
  /** API Customer.id; required for, and only for, partners. */
  customerId?: string;
  /** Subject; default "local-<role>". */
  sub?: string;
  /** Lifetime as jose understands it ("8h", "30m", "2d"); default 8h. */
  ttl?: string;
}

const TTL = /^\d+\s*(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks)$/i;

/** Signs a client token; refuses an unknown role, a partner without a customer and a bad ttl with BAD_USER_INPUT. */
export async function signToken({ secret, role, customerId, sub, ttl = '8h' }: TokenRequest): Promise<string> {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `unknown role "${role}": use one of ${ROLES.join(', ')}`, { field: 'role' });
  }
  if (role === 'partner' && !customerId) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, 'a partner token needs --customer <customer id>, e.g. --customer erp:K-10023', { field: 'customer' });
  }
  if (customerId !== undefined && role !== 'partner') {
    throw new AppError(ErrorCode.BAD_USER_INPUT, '--customer only applies to the partner role', { field: 'customer' });
  }
  if (customerId !== undefined && !tryParseCustomerId(customerId)) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `"${customerId}" is not a customer id: use crm:<uuid> or erp:K-<number>`, { field: 'customer' });
  }
  if (!TTL.test(ttl)) throw new AppError(ErrorCode.BAD_USER_INPUT, `--ttl "${ttl}" is not a duration like 30m, 8h or 2d`, { field: 'ttl' });
  const claims: Record<string, string> = { role: role as Role };
  if (customerId) claims.customer_id = customerId;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub ?? `local-${role}`)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(jwtKey(secret));
}

/** Reads the command line, prints the token; exit code 2 for a usage mistake. */
export async function runTokenCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        role: { type: 'string' },
        customer: { type: 'string' },
        sub: { type: 'string' },
        ttl: { type: 'string' },
      },
      strict: true,
    });
    if (!values.role) throw new AppError(ErrorCode.BAD_USER_INPUT, `--role is required: one of ${ROLES.join(', ')}`);
    const config = loadGatewayConfig(env);
    if (config.AUTH_JWKS_URL) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, 'AUTH_JWKS_URL is set, so the gateway only accepts tokens from your identity provider');
    }
    const token = await signToken({ secret: config.JWT_SECRET, role: values.role, customerId: values.customer, sub: values.sub, ttl: values.ttl });
    process.stdout.write(`${token}\n`);
    process.stderr.write(`role ${values.role}, valid ${values.ttl ?? '8h'}; send it as "Authorization: Bearer <token>"\n`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`token: ${message}\nusage: npm run token -- --role ${ROLES.join('|')} [--customer ID] [--sub NAME] [--ttl 8h]\n`);
    return 2;
  }
}

if (require.main === module) {
  runTokenCommand(process.argv.slice(2)).then((code) => process.exit(code));
}
