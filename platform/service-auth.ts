import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Calls between services carry `x-service-token`: the caller's name, a timestamp and an HMAC of
 * both with the shared internal secret. Clients of the gateway never hold that secret, and the
 * gateway strips the header from what clients send.
 */
export const SERVICE_TOKEN_HEADER = 'x-service-token';

/** How long a service token stays valid, in seconds (clock skew included). */
const MAX_AGE_SECONDS = 300;

/** Signs a token for `caller`. */
export function signServiceToken(secret: string, caller: string, now = Date.now()): string {
  const timestamp = Math.floor(now / 1000).toString();
  const mac = createHmac('sha256', secret).update(`${caller}.${timestamp}`).digest('hex');
  return `${caller}.${timestamp}.${mac}`;
}

/** Returns the verified caller name, or null when the token is missing, forged or stale. */
export function verifyServiceToken(secret: string, token: string | undefined, now = Date.now()): string | null {
  if (!token) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [caller, timestamp, mac] = parts;
  const age = Math.abs(Math.floor(now / 1000) - Number(timestamp));
  if (!/^\d+$/.test(timestamp) || age > MAX_AGE_SECONDS) return null;
  const expected = createHmac('sha256', secret).update(`${caller}.${timestamp}`).digest();
  const given = Buffer.from(mac, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? caller : null;
}

/**
 * `verifyServiceToken` for a service's every request: callers resend one token for a minute
 * (`serviceTokenSigner`), so a token's signature is checked once and its age on every use. Only
 * verified tokens are kept, a few per caller, so garbage sent to fill the cache is never kept.
 */
export function serviceTokenVerifier(secret: string): (token: string | undefined, now?: number) => string | null {
  const verified = new Map<string, { caller: string; signedAt: number }>();
  return (token, now = Date.now()) => {
    const known = token ? verified.get(token) : undefined;
    if (known) return Math.abs(Math.floor(now / 1000) - known.signedAt) <= MAX_AGE_SECONDS ? known.caller : null;
    const caller = verifyServiceToken(secret, token, now);
    if (caller && token) {
      // A new token per caller a minute, valid five: a few dozen entries at most in practice.
      if (verified.size >= 256) verified.clear();
      verified.set(token, { caller, signedAt: Number(token.split('.')[1]) });
    }
    return caller;
  };
}

/** Caches one signed token per caller for a minute so hot paths do not sign per request. */
export function serviceTokenSigner(secret: string, caller: string): () => string {
  let token = '';
  let signedAt = 0;
  return () => {
    const now = Date.now();
    if (now - signedAt > 60_000) {
      token = signServiceToken(secret, caller, now);
      signedAt = now;
    }
    return token;
  };
}
