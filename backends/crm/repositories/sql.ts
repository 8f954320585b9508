/** SQL helpers the CRM repositories share. */

/** Any 8-4-4-4-12 hex id, the format PostgreSQL's uuid type accepts. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Keeps the ids that can exist: a malformed one matches nothing, so it is dropped, not an error. */
export function wellFormedUuids(ids: readonly string[]): string[] {
  return [...new Set(ids.filter((id) => UUID_PATTERN.test(id)).map((id) => id.toLowerCase()))];
}

/** The database's clock, to the millisecond, so stored times equal the ISO strings returned. */
export const NOW = "date_trunc('milliseconds', now())";

/** Escapes LIKE wildcards so a search for "50%" finds the text "50%". */
export function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** True when a database error is a unique-constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}
