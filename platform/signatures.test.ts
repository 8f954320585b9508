import { serviceTokenVerifier, signServiceToken, verifyServiceToken } from './service-auth';
import { signWebhook, verifyWebhook } from './webhook-signature';

describe('service token', () => {
  const secret = 'a-long-internal-secret-for-tests';

  it('names the caller when signed with the shared secret', () => {
    expect(verifyServiceToken(secret, signServiceToken(secret, 'gateway'))).toBe('gateway');
  });

  it('refuses a token signed with another secret, a stale one and garbage', () => {
    expect(verifyServiceToken(secret, signServiceToken('another-secret-of-some-length', 'gateway'))).toBeNull();
    expect(verifyServiceToken(secret, signServiceToken(secret, 'gateway', Date.now() - 3_600_000))).toBeNull();
    expect(verifyServiceToken(secret, 'gateway.123.abc')).toBeNull();
    expect(verifyServiceToken(secret, undefined)).toBeNull();
  });

  it('checks a repeated token once and its age on every use', () => {
    const verify = serviceTokenVerifier(secret);
    const signedAt = Date.now();
    const token = signServiceToken(secret, 'gateway', signedAt);
    expect(verify(token, signedAt)).toBe('gateway');
    expect(verify(token, signedAt + 60_000)).toBe('gateway');
    // The same token past its five minutes is refused, though its signature was checked before.
    expect(verify(token, signedAt + 301_000)).toBeNull();
    // A forged token that shares the caller and the second is not taken for the verified one.
    const forged = `gateway.${token.split('.')[1]}.${'0'.repeat(64)}`;
    expect(verify(forged, signedAt)).toBeNull();
    expect(verify(signServiceToken('another-secret-of-some-length', 'gateway', signedAt), signedAt)).toBeNull();
    expect(verify(undefined, signedAt)).toBeNull();
  });
});

describe('webhook signature', () => {
  const secret = 'a-long-webhook-secret-for-tests';
  const body = '{"eventId":"1"}';

  it('verifies the exact body it was made for', () => {
    expect(verifyWebhook(secret, body, signWebhook(secret, body))).toBe(true);
    expect(verifyWebhook(secret, body + ' ', signWebhook(secret, body))).toBe(false);
  });

  it('refuses a signature outside the time window', () => {
    const old = signWebhook(secret, body, Date.now() - 10 * 60_000);
    expect(verifyWebhook(secret, body, old)).toBe(false);
  });
});
