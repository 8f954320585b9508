import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The embedded default's secrets, generated once per installation and kept under the data folder. */
export interface LocalSecrets {
  /** HS256 key for client JWTs. */
  jwtSecret: string;
  /** Key for the service-to-service credential. */
  internalSecret: string;
  /** Key for webhook signatures. */
  webhookSecret: string;
}

/** Reads `<dataDir>/secrets.json`, creating it (mode 600) with fresh random keys on first use. */
export function loadOrCreateLocalSecrets(dataDir: string): LocalSecrets {
  const file = path.resolve(dataDir, 'secrets.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  } catch {
    mkdirSync(path.dirname(file), { recursive: true });
    const secrets: LocalSecrets = {
      jwtSecret: randomBytes(32).toString('base64url'),
      internalSecret: randomBytes(32).toString('base64url'),
      webhookSecret: randomBytes(32).toString('base64url'),
    };
    // 'wx' fails if another process created it meanwhile; then read theirs.
    try {
      writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
      return secrets;
    } catch {
      return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
    }
  }
}
