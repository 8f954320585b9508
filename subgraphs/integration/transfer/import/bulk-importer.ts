import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import type { BulkUpsertResult } from '../../../../connectors/bulk';
import type { CrmBulkConnector } from '../../../../connectors/crm/crm.connector';
import type { ErpBulkConnector } from '../../../../connectors/erp/erp.connector';
import { type ImportKind, type ImportRow, validateRow } from './import-rows';
import { RejectsWriter } from './rejects-writer';
import { type TransferFormat, formatOf, readRows } from './row-source';

/** Where imported rows go: customers and opportunities to the CRM (their owner), products and financials to the ERP. */
export interface ImportTargets {
  crm: CrmBulkConnector;
  erp: ErpBulkConnector;
}

/** What to import and how. */
export interface ImportOptions {
  kind: ImportKind;
  file: string;
  /** Default: from the file's extension. */
  format?: TransferFormat;
  /** Rows per bulk call, at most 500; default 500. */
  batchSize?: number;
  /** Bulk calls in flight at once; default 2 (one is parsed while the other is written). */
  concurrency?: number;
  /** Names this run in the idempotency keys of its calls; default random. */
  runId?: string;
  /** Called after each batch with the running totals. */
  onProgress?: (progress: ImportProgress) => void;
}

/** Running totals of an import. */
export interface ImportCounts {
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

/** Totals so far and how far through the file the reader is. */
export interface ImportProgress extends ImportCounts {
  bytesRead: number;
  totalBytes: number;
}

/** What an import did. */
export interface ImportSummary extends ImportCounts {
  kind: ImportKind;
  file: string;
  seconds: number;
  rowsPerSecond: number;
  /** The rejects file, or null when every row was accepted. */
  rejectsFile: string | null;
}

interface PendingRow {
  line: number;
  original: string[] | Record<string, unknown>;
  row: ImportRow;
}

interface Reject {
  line: number;
  reason: string;
  original: string[] | Record<string, unknown> | string;
}

interface Batch {
  rows: PendingRow[];
  rejects: Reject[];
  keys: Set<string>;
}

type RowOutcome = { outcome: 'created' | 'updated' | 'unchanged' } | { outcome: 'rejected'; reason: string };

/**
 * Streams a file into the backends in bulk calls: each row validated (a refusal goes to the
 * rejects file with its line and reason), valid rows upserted by their external key in batches,
 * a few batches in flight while the next is read. A key that repeats waits until its earlier row
 * is written, so the last row of a key wins. Rejects are written in line order per batch, batches
 * in file order, so the rejects file is the same on every run.
 */
export async function runImport(targets: ImportTargets, options: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const format = options.format ?? formatOf(options.file);
  const batchSize = Math.min(Math.max(options.batchSize ?? 500, 1), 500);
  const concurrency = Math.max(options.concurrency ?? 2, 1);
  const runId = options.runId ?? randomUUID();
  const totalBytes = statSync(options.file).size;
  const source = readRows(options.file, format);
  const rejects = new RejectsWriter(RejectsWriter.pathFor(options.file, format), format, source.header);
  const counts: ImportCounts = { read: 0, created: 0, updated: 0, unchanged: 0, rejected: 0 };

  let batchNo = 0;
  let inFlight: { keys: Set<string>; done: Promise<void> }[] = [];
  let previous: Promise<void> = Promise.resolve();
  let failure: unknown;

  const dispatch = async (batch: Batch) => {
    if (batch.rows.length === 0 && batch.rejects.length === 0) return;
    if (inFlight.some((f) => [...batch.keys].some((k) => f.keys.has(k)))) await Promise.all(inFlight.map((f) => f.done));
    while (inFlight.length >= concurrency) await Promise.race(inFlight.map((f) => f.done));
    if (failure) throw failure;
    const number = ++batchNo;
    const written = batch.rows.length > 0 ? writeBatch(targets, batch.rows, `import:${runId}:${number}`) : Promise.resolve([]);
    const before = previous;
    const done = (async () => {
      const outcomes = await written;
      await before;
      const refused: Reject[] = [...batch.rejects];
      batch.rows.forEach((pending, i) => {
        const result = outcomes[i];
        if (result.outcome === 'rejected') refused.push({ line: pending.line, reason: result.reason, original: pending.original });
        else counts[result.outcome]++;
      });
      refused.sort((a, b) => a.line - b.line);
      for (const reject of refused) await rejects.write(reject.line, reject.reason, reject.original);
      counts.rejected += refused.length;
      options.onProgress?.({ ...counts, bytesRead: source.bytesRead(), totalBytes });
    })().catch((error: unknown) => {
      failure ??= error;
    });
    previous = done;
    const entry = { keys: batch.keys, done };
    inFlight.push(entry);
    void done.then(() => (inFlight = inFlight.filter((f) => f !== entry)));
  };

  let batch: Batch = { rows: [], rejects: [], keys: new Set() };
  try {
    for await (const sourceRow of source.rows) {
      counts.read++;
      if ('unreadable' in sourceRow) {
        batch.rejects.push({ line: sourceRow.line, reason: sourceRow.unreadable, original: sourceRow.original });
      } else {
        const checked = validateRow(options.kind, sourceRow.fields);
        if (!checked.ok) {
          batch.rejects.push({ line: sourceRow.line, reason: checked.reason, original: sourceRow.original });
        } else {
          if (batch.keys.has(checked.row.key)) {
            await dispatch(batch);
            batch = { rows: [], rejects: [], keys: new Set() };
          }
          batch.rows.push({ line: sourceRow.line, original: sourceRow.original, row: checked.row });
          batch.keys.add(checked.row.key);
        }
      }
      if (batch.rows.length >= batchSize || batch.rejects.length >= batchSize) {
        await dispatch(batch);
        batch = { rows: [], rejects: [], keys: new Set() };
      }
    }
    await dispatch(batch);
    await Promise.all(inFlight.map((f) => f.done));
    if (failure) throw failure;
  } finally {
    await previous.catch(() => undefined);
    await rejects.close();
  }
  const seconds = (Date.now() - started) / 1000;
  return {
    kind: options.kind,
    file: options.file,
    ...counts,
    seconds,
    rowsPerSecond: seconds > 0 ? Math.round(counts.read / seconds) : counts.read,
    rejectsFile: rejects.written > 0 ? rejects.file : null,
  };
}

/** Sends one batch to its backend(s) and says what happened to each row, in row order. */
async function writeBatch(targets: ImportTargets, rows: PendingRow[], key: string): Promise<RowOutcome[]> {
  const first = rows[0].row;
  switch (first.kind) {
    case 'products':
      return (await targets.erp.upsertProducts(rows.map((r) => (r.row as Extract<ImportRow, { kind: 'products' }>).product), `${key}:erp`)).map((r) => outcomeOf(r, 'ERP'));
    case 'opportunities':
      return (await targets.crm.upsertOpportunities(rows.map((r) => (r.row as Extract<ImportRow, { kind: 'opportunities' }>).opportunity), `${key}:crm`)).map((r) =>
        outcomeOf(r, 'CRM'),
      );
    case 'customers':
      return writeCustomers(targets, rows.map((r) => (r.row as Extract<ImportRow, { kind: 'customers' }>).customer), key);
  }
}

/**
 * Customers go to the CRM, which owns them; the live sync gives each new account its ERP
 * customer. A row with a credit limit, payment terms or currency also upserts the ERP customer
 * of its account (by the account id, the ERP's external reference), which the ERP owns.
 */
async function writeCustomers(targets: ImportTargets, rows: Extract<ImportRow, { kind: 'customers' }>['customer'][], key: string): Promise<RowOutcome[]> {
  const accounts = await targets.crm.upsertAccounts(
    rows.map((r) => r.account),
    `${key}:crm`,
  );
  const outcomes = accounts.map((r) => outcomeOf(r, 'CRM'));
  const financial = rows.flatMap((row, i) => (row.financials && accounts[i].outcome !== 'rejected' && accounts[i].id ? [{ i, input: { ...row.financials, externalRef: accounts[i].id! } }] : []));
  if (financial.length === 0) return outcomes;
  const erp = await targets.erp.upsertCustomersByExternalRef(
    financial.map((f) => f.input),
    `${key}:erp`,
  );
  financial.forEach((f, j) => {
    const result = outcomeOf(erp[j], 'ERP');
    const crm = outcomes[f.i];
    if (result.outcome === 'rejected') outcomes[f.i] = result;
    else if (crm.outcome === 'unchanged' && result.outcome !== 'unchanged') outcomes[f.i] = { outcome: 'updated' };
  });
  return outcomes;
}

function outcomeOf(result: BulkUpsertResult, system: string): RowOutcome {
  if (result.outcome !== 'rejected') return { outcome: result.outcome };
  return { outcome: 'rejected', reason: `${system}: ${result.error?.message ?? 'refused'}` };
}
