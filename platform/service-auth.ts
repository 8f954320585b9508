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
