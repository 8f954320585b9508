import type { CrmAccountImport, CrmOpportunityImport } from '../../../connectors/crm/crm.connector';
import type { Queryable } from '../../../platform/db';
import { formatAmount } from '../../../platform/money';
import { NOW } from './sql';

/** What an upsert did to one record. */
export interface UpsertedRow {
  importKey: string;
  id: string;
  version: number;
  outcome: 'created' | 'updated' | 'unchanged';
}

/**
 * Upserts accounts by import key in one statement: new keys are inserted, known ones updated
 * only where a field differs (version and updated_at stay put otherwise, so a re-import of the
 * same file changes nothing and emits no event). Keys must be distinct within one call.
 */
export async function upsertAccountsByImportKey(tx: Queryable, rows: readonly CrmAccountImport[]): Promise<UpsertedRow[]> {
  if (rows.length === 0) return [];
  const keys = rows.map((r) => r.importKey);
  const written = await tx.query<{ import_key: string; id: string; version: number; inserted: boolean }>(
    `INSERT INTO accounts AS a (id, import_key, name, email, industry, country, owner_id)
     SELECT gen_random_uuid(), s.* FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[])
       AS s(import_key, name, email, industry, country, owner_id)
     ON CONFLICT (import_key) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, industry = EXCLUDED.industry,
       country = EXCLUDED.country, owner_id = EXCLUDED.owner_id, version = a.version + 1, updated_at = ${NOW}
     WHERE (a.name, a.email, a.industry, a.country, a.owner_id) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.email, EXCLUDED.industry, EXCLUDED.country, EXCLUDED.owner_id)
     RETURNING a.import_key, a.id::text AS id, a.version, (a.xmax = 0) AS inserted`,
    [keys, rows.map((r) => r.name), rows.map((r) => r.email ?? null), rows.map((r) => r.industry ?? null), rows.map((r) => r.country ?? null), rows.map((r) => r.ownerId ?? null)],
  );
  const byKey = new Map<string, UpsertedRow>(
    written.rows.map((r) => [r.import_key, { importKey: r.import_key, id: r.id, version: r.version, outcome: r.inserted ? 'created' : 'updated' }]),
  );
  const untouched = keys.filter((k) => !byKey.has(k));
  if (untouched.length > 0) {
    const found = await tx.query<{ import_key: string; id: string; version: number }>(
      'SELECT import_key, id::text AS id, version FROM accounts WHERE import_key = ANY($1::text[])',
      [untouched],
    );
    for (const r of found.rows) byKey.set(r.import_key, { importKey: r.import_key, id: r.id, version: r.version, outcome: 'unchanged' });
  }
  return keys.map((k) => byKey.get(k)!);
}

/** The ids of accounts by import key; unknown keys are left out. */
export async function accountIdsByImportKeys(q: Queryable, keys: readonly string[]): Promise<Map<string, string>> {
  const found = await q.query<{ import_key: string; id: string }>('SELECT import_key, id::text AS id FROM accounts WHERE import_key = ANY($1::text[])', [[...new Set(keys)]]);
  return new Map(found.rows.map((r) => [r.import_key, r.id]));
}

/** The users among these ids. */
export async function existingUserIds(q: Queryable, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const found = await q.query<{ id: string }>('SELECT id::text AS id FROM users WHERE id = ANY($1::uuid[])', [[...new Set(ids)]]);
  return new Set(found.rows.map((r) => r.id));
}

interface StoredOpportunity {
  id: string;
  version: number;
  account_id: string;
  name: string;
  stage: string;
  currency: string;
  expected_close_date: string | null;
  lines: string;
}

/**
 * Upserts one opportunity by import key; its lines replace the stored ones. Nothing is written
 * when every field and line is already as given.
 */
export async function upsertOpportunityByImportKey(tx: Queryable, row: CrmOpportunityImport, accountId: string): Promise<UpsertedRow> {
  const linesJson = JSON.stringify(row.lines.map((l) => [l.sku, l.quantity, formatAmount(l.unitPrice)]));
  const current = await tx.query<StoredOpportunity>(
    `SELECT o.id::text AS id, o.version, o.account_id::text AS account_id, o.name, o.stage, o.currency, o.expected_close_date::text AS expected_close_date,
       coalesce((SELECT json_agg(json_build_array(l.sku, l.quantity, l.unit_price::text) ORDER BY l.line_no) FROM opportunity_lines l WHERE l.opportunity_id = o.id), '[]')::text AS lines
     FROM opportunities o WHERE o.import_key = $1 FOR UPDATE`,
    [row.importKey],
  );
  const stage = row.stage ?? 'PROSPECTING';
  const closeDate = row.expectedCloseDate ?? null;
  const old = current.rows[0];
  let id: string;
  let version: number;
  let outcome: UpsertedRow['outcome'];
  if (!old) {
    const inserted = await tx.query<{ id: string; version: number }>(
      `INSERT INTO opportunities (id, import_key, account_id, name, stage, currency, expected_close_date)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6::date) RETURNING id::text AS id, version`,
      [row.importKey, accountId, row.name, stage, row.currency, closeDate],
    );
    ({ id, version } = inserted.rows[0]);
    outcome = 'created';
  } else {
    const same =
      old.account_id === accountId && old.name === row.name && old.stage === stage && old.currency === row.currency && old.expected_close_date === closeDate && sameLines(old.lines, linesJson);
    if (same) return { importKey: row.importKey, id: old.id, version: old.version, outcome: 'unchanged' };
    const updated = await tx.query<{ version: number }>(
      `UPDATE opportunities SET account_id = $2, name = $3, stage = $4, currency = $5, expected_close_date = $6::date, version = version + 1, updated_at = ${NOW}
       WHERE id = $1 RETURNING version`,
      [old.id, accountId, row.name, stage, row.currency, closeDate],
    );
    await tx.query('DELETE FROM opportunity_lines WHERE opportunity_id = $1', [old.id]);
    id = old.id;
    version = updated.rows[0].version;
    outcome = 'updated';
  }
  await tx.query(
    `INSERT INTO opportunity_lines (opportunity_id, line_no, sku, quantity, unit_price)
     SELECT $1, line_no, sku, quantity, unit_price FROM unnest($2::int[], $3::text[], $4::int[], $5::numeric[]) AS l(line_no, sku, quantity, unit_price)`,
    [id, row.lines.map((_, i) => i + 1), row.lines.map((l) => l.sku), row.lines.map((l) => l.quantity), row.lines.map((l) => l.unitPrice)],
  );
  return { importKey: row.importKey, id, version, outcome };
}

function sameLines(storedJson: string, givenJson: string): boolean {
  const stored = (JSON.parse(storedJson) as [string, number, string][]).map(([sku, quantity, price]) => [sku, quantity, formatAmount(price)]);
  return JSON.stringify(stored) === givenJson;
}
