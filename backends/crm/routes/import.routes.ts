import type { FastifyInstance } from 'fastify';
import type { BulkUpsertResult } from '../../../connectors/bulk';
import type { CrmAccountImport, CrmOpportunityImport } from '../../../connectors/crm/crm.connector';
import type { Database } from '../../../platform/db';
import { AppError, ErrorCode, isAppError } from '../../../platform/errors';
import { recordChanges } from '../../../platform/outbox';
import { accountIdsByImportKeys, existingUserIds, upsertAccountsByImportKey, upsertOpportunityByImportKey } from '../repositories/import.repository';
import { accountImportSchema, bulkRowsSchema, opportunityImportSchema, parseInput } from '../validation';
import { idempotentWrite } from '../../../platform/idempotency';

type Checked<T> = { ok: true; row: T } | { ok: false; result: BulkUpsertResult };

/** Validates each row on its own: a bad row becomes a rejected result, the others go on. */
function checkRows<T extends { importKey: string }>(rows: unknown[], validate: (row: unknown) => T): Checked<T>[] {
  const seen = new Set<string>();
  return rows.map((raw, index) => {
    const key = typeof (raw as { importKey?: unknown })?.importKey === 'string' ? (raw as { importKey: string }).importKey : `#${index}`;
    try {
      const row = validate(raw);
      // One statement cannot touch the same record twice; the importer sends a repeated key in a later call.
      if (seen.has(row.importKey)) throw new AppError(ErrorCode.BAD_USER_INPUT, `importKey ${row.importKey} appears twice in this call`, { field: 'importKey' });
      seen.add(row.importKey);
      return { ok: true as const, row };
    } catch (error) {
      return { ok: false as const, result: rejected(key, error) };
    }
  });
}

function rejected(key: string, error: unknown): BulkUpsertResult {
  if (!isAppError(error)) throw error;
  const field = typeof error.details?.field === 'string' ? error.details.field : undefined;
  return { key, outcome: 'rejected', error: { code: error.code, message: error.message, ...(field ? { field } : {}) } };
}

/**
 * Bulk import: accounts and opportunities upserted by the source system's id (`importKey`), up
 * to 500 per call, in one transaction, with a change event for each record created or changed.
 * Each row is answered in order: created, updated, unchanged, or rejected with a reason.
 */
export function registerImportRoutes(app: FastifyInstance, db: Database): void {
  app.post('/accounts/bulk', async (req, reply) => {
    const { accounts } = parseInput(bulkRowsSchema('accounts'), req.body, 'bulk request') as { accounts: unknown[] };
    const checked = checkRows<CrmAccountImport>(accounts, (row) => parseInput(accountImportSchema, row, 'account'));
    return idempotentWrite(db, req, reply, 200, async (tx) => {
      const owners = await existingUserIds(tx, checked.flatMap((c) => (c.ok && c.row.ownerId ? [c.row.ownerId.toLowerCase()] : [])));
      const results: (BulkUpsertResult | CrmAccountImport)[] = checked.map((c) => {
        if (!c.ok) return c.result;
        const owner = c.row.ownerId?.toLowerCase();
        if (owner && !owners.has(owner)) return { key: c.row.importKey, outcome: 'rejected', error: { code: ErrorCode.NOT_FOUND, message: `no user ${owner}`, field: 'ownerId' } };
        return c.row;
      });
      const valid = results.filter((r): r is CrmAccountImport => 'importKey' in r);
      const upserted = new Map((await upsertAccountsByImportKey(tx, valid)).map((u) => [u.importKey, u]));
      const changed = [...upserted.values()].filter((u) => u.outcome !== 'unchanged');
      await recordChanges(tx, changed.map((u) => ({ entity: 'account', entityId: u.id, version: u.version, action: u.outcome === 'created' ? ('created' as const) : ('updated' as const) })));
      const body = results.map((r): BulkUpsertResult => {
        if (!('importKey' in r)) return r;
        const u = upserted.get(r.importKey)!;
        return { key: u.importKey, outcome: u.outcome, id: u.id };
      });
      return { results: body };
    });
  });

  app.post('/opportunities/bulk', async (req, reply) => {
    const { opportunities } = parseInput(bulkRowsSchema('opportunities'), req.body, 'bulk request') as { opportunities: unknown[] };
    const checked = checkRows<CrmOpportunityImport>(opportunities, (row) => parseInput(opportunityImportSchema, row, 'opportunity'));
    return idempotentWrite(db, req, reply, 200, async (tx) => {
      const accounts = await accountIdsByImportKeys(tx, checked.flatMap((c) => (c.ok ? [c.row.accountImportKey] : [])));
      const body: BulkUpsertResult[] = [];
      const events: Parameters<typeof recordChanges>[1][number][] = [];
      for (const c of checked) {
        if (!c.ok) {
          body.push(c.result);
          continue;
        }
        const accountId = accounts.get(c.row.accountImportKey);
        if (!accountId) {
          body.push({ key: c.row.importKey, outcome: 'rejected', error: { code: ErrorCode.NOT_FOUND, message: `no account imported under key ${c.row.accountImportKey}`, field: 'accountImportKey' } });
          continue;
        }
        const u = await upsertOpportunityByImportKey(tx, c.row, accountId);
        if (u.outcome !== 'unchanged') events.push({ entity: 'opportunity', entityId: u.id, version: u.version, action: u.outcome === 'created' ? 'created' : 'updated' });
        body.push({ key: u.importKey, outcome: u.outcome, id: u.id });
      }
      await recordChanges(tx, events);
      return { results: body };
    });
  });
}
