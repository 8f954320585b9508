import { type AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { AuthenticationError, createTokenVerifier, jwtKey, principalFromClaims } from './auth';
import { buildTestGateway, postGraphql } from './test-support/test-gateway';

describe('principal from token claims', () => {
  it('takes the subject and role of a staff token', () => {
    expect(principalFromClaims({ sub: 'fiona', role: 'finance', exp: 1 })).toEqual({ sub: 'fiona', role: 'finance' });
  });

  it("keeps a partner's customer id", () => {
    expect(principalFromClaims({ sub: 'portal', role: 'partner', customer_id: 'crm:7d7b1c8e-3a6f-4e43-9d1e-2f7b0c1a9e01' })).toEqual({
      sub: 'portal',
      role: 'partner',
      customerId: 'crm:7d7b1c8e-3a6f-4e43-9d1e-2f7b0c1a9e01',
    });
  });

  it('refuses a partner whose customer_id is not a customer id', () => {
    expect(() => principalFromClaims({ sub: 'portal', role: 'partner', customer_id: 'K-10023' })).toThrow(AuthenticationError);
  });

  it('refuses a role outside admin, sales, finance, operations, partner', () => {
    expect(() => principalFromClaims({ sub: 'root', role: 'root' })).toThrow('token role must be one of admin, sales, finance, operations, partner');
  });
});

describe('token verification against an identity provider (JWKS)', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const providerToken = (issuer: string, audience: string, issuedAt: number | null = Math.floor(Date.now() / 1000)) => {
    const token = new SignJWT({ role: 'operations' }).setProtectedHeader({ alg: 'RS256', kid: 'key-1' }).setSubject('olga').setIssuer(issuer).setAudience(audience).setExpirationTime('5m');
    if (issuedAt !== null) token.setIssuedAt(issuedAt);
    return token.sign(privateKey);
  };

  const verify = () => createTokenVerifier({ jwtSecret: 'unused-local-secret-0123456789', jwksUrl, issuer: 'https://id.example.com', audience: 'erp-crm-api' });

  it("accepts the provider's token for the right issuer and audience", async () => {
    await expect(verify()(await providerToken('https://id.example.com', 'erp-crm-api'))).resolves.toEqual({ sub: 'olga', role: 'operations' });
  });

  it('refuses a token for another audience', async () => {
    await expect(verify()(await providerToken('https://id.example.com', 'another-api'))).rejects.toThrow('token claim check failed: aud');
  });

  it('refuses a token from another issuer', async () => {
    await expect(verify()(await providerToken('https://evil.example.com', 'erp-crm-api'))).rejects.toThrow('token claim check failed: iss');
  });

  it('refuses a locally signed HS256 token once a JWKS is configured', async () => {
    const local = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('5m').sign(jwtKey('unused-local-secret-0123456789'));
    await expect(verify()(local)).rejects.toThrow('token algorithm is not accepted');
  });

  it('refuses a token older than the configured age, and one without an issue time', async () => {
    const verifier = createTokenVerifier({ jwtSecret: 'unused-local-secret-0123456789', jwksUrl, issuer: 'https://id.example.com', audience: 'erp-crm-api', maxTokenAgeSeconds: 600 });
    const old = await providerToken('https://id.example.com', 'erp-crm-api', Math.floor(Date.now() / 1000) - 601);
    await expect(verifier(old)).rejects.toThrow(AuthenticationError);
    await expect(verifier(await providerToken('https://id.example.com', 'erp-crm-api', null))).rejects.toThrow('token claim check failed: iat');
  });

  describe('through the gateway', () => {
    const providerEnv = () => ({ AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: 'https://id.example.com', AUTH_AUDIENCE: 'erp-crm-api', AUTH_MAX_TOKEN_AGE_SECONDS: '600' });
    const unreachable = { erpUrl: 'http://127.0.0.1:9/graphql', crmUrl: 'http://127.0.0.1:9/graphql' };

    it.each(['AUTH_ISSUER', 'AUTH_AUDIENCE'])('refuses to start with a JWKS URL but without %s', async (missing) => {
      const env: Record<string, string> = providerEnv();
      delete env[missing];
      await expect(buildTestGateway({ ...unreachable, env })).rejects.toThrow('AUTH_JWKS_URL needs AUTH_ISSUER and AUTH_AUDIENCE');
    });

    it("answers 401 to a provider's token past the maximum age", async () => {
      const gateway = await buildTestGateway({ ...unreachable, env: providerEnv() });
      try {
        const old = await providerToken('https://id.example.com', 'erp-crm-api', Math.floor(Date.now() / 1000) - 3600);
        const response = await postGraphql(gateway, { query: '{ __typename }' }, { authorization: `Bearer ${old}` });
        expect(response.status).toBe(401);
        expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
        const fresh = await providerToken('https://id.example.com', 'erp-crm-api');
        expect((await postGraphql(gateway, { query: '{ __typename }' }, { authorization: `Bearer ${fresh}` })).body.data).toEqual({ __typename: 'Query' });
      } finally {
        await gateway.close();
      }
    });
  });
});
