import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A new endpoint signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
export function newEndpointSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function keyOf(masterKey: string): Buffer {
  return createHash('sha256').update(`partner-webhook-secrets\u0000${masterKey}`).digest();
}

/** Encrypts an endpoint secret for storage (AES-256-GCM, random IV): `v1.<iv>.<tag>.<ciphertext>`. */
export function sealSecret(masterKey: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(masterKey), iv);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), sealed.toString('base64')].join('.');
}

/** Decrypts a sealed endpoint secret; throws when it was altered or sealed under another key. */
export function openSecret(masterKey: string, sealed: string): string {
  const [version, iv, tag, data] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || !data) throw new Error('not a sealed endpoint secret');
  const decipher = createDecipheriv('aes-256-gcm', keyOf(masterKey), Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
}
