import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { AppError, ErrorCode } from '../errors';
import { EXPORT_PAGE_SIZE, type ExportKind, type ExportRow, exportDefinition, parseSince } from './export-kinds';

/** The file formats of an export (the same as an import reads). */
export type ExportFormat = 'csv' | 'ndjson';

/** A GraphQL answer as the exporter needs it. */
export interface GraphqlAnswer {
  data?: Record<string, unknown> | null;
  errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
}

/** Runs one GraphQL operation against the API: over HTTP for the CLI, in-process in the gateway. */
export type GraphqlExecutor = (query: string, variables: Record<string, unknown>) => Promise<GraphqlAnswer>;

/** What to export. */
export interface ExportOptions {
  kind: ExportKind;
  format: ExportFormat;
  /** Only rows at or after this date (see export-kinds.ts for what it means per kind). */
  since?: string | null;
  /** Called after each page with the rows written so far and the API's total of the listed records. */
  onProgress?: (progress: ExportProgress) => void;
}

/** How far an export is. */
export interface ExportProgress {
  rows: number;
  pages: number;
  /** Records in the list paged through (customers or orders), as the API counts them. */
  totalCount: number;
  /** Records of the list read so far. */
  listed: number;
}

/** MIME type of each format. */
export const CONTENT_TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson; charset=utf-8' };

/**
 * The export as text chunks, one per page: the CSV header first, then each page's rows. Each
 * list (or each partition of it, all at once) fetches its next page while the consumer writes the
 * current one, so at most two pages per list are ever held and memory stays flat whatever the
 * size. Arguments are checked before the first fetch. A GraphQL error stops the export: a report
 * silently missing rows would be worse than none.
 */
export async function* exportChunks(execute: GraphqlExecutor, options: ExportOptions): AsyncGenerator<string> {
  const definition = exportDefinition(options.kind);
  const since = parseSince(options.kind, options.since);
  type Connection = ReturnType<typeof definition.connection>;
  const fetchPage = async (filter: Record<string, unknown>, after: string | null): Promise<Connection> => {
    const answer = await execute(definition.query, { first: EXPORT_PAGE_SIZE, after, ...filter });
    if (answer.errors?.length || !answer.data) {
      const first = answer.errors?.[0];
      const code = typeof first?.extensions?.code === 'string' && first.extensions.code in ErrorCode ? (first.extensions.code as ErrorCode) : ErrorCode.UPSTREAM_UNAVAILABLE;
      throw new AppError(code, `export stopped: ${first?.message ?? 'the API answered no data'}`);
    }
    return definition.connection(answer.data);
  };
  if (options.format === 'csv') yield stringify([definition.columns as string[]]);

  const partitions = definition.partitions ?? [{}];
  const totals = new Map<number, number>();
  const progress: ExportProgress = { rows: 0, pages: 0, totalCount: 0, listed: 0 };
  // One page in flight per partition; whichever answers first is written first.
  const pending = new Map<number, Promise<{ index: number; page: Connection }>>();
  const request = (index: number, after: string | null) => {
    const next = fetchPage(partitions[index], after).then((page) => ({ index, page }));
    // Awaited below; this only keeps an abandoned fetch from being an unhandled rejection.
    next.catch(() => undefined);
    pending.set(index, next);
  };
  partitions.forEach((_, index) => request(index, null));
  while (pending.size > 0) {
    const { index, page } = await Promise.race(pending.values());
    pending.delete(index);
    const more = page.pageInfo.hasNextPage && !(since !== null && definition.exhausted?.(page.nodes, since));
    if (more) request(index, page.pageInfo.endCursor);
    const rows = page.nodes.flatMap((node) => definition.rows(node, since));
    totals.set(index, page.totalCount);
    progress.rows += rows.length;
    progress.pages++;
    progress.listed += page.nodes.length;
    progress.totalCount = [...totals.values()].reduce((a, b) => a + b, 0);
    if (rows.length > 0) yield formatRows(rows, definition.columns, options.format);
    options.onProgress?.({ ...progress });
  }
}

function formatRows(rows: ExportRow[], columns: readonly string[], format: ExportFormat): string {
  if (format === 'csv') return stringify(rows.map((row) => columns.map((c) => row[c] ?? '')));
  return rows.map((row) => `${JSON.stringify(Object.fromEntries(columns.map((c) => [c, row[c] ?? null])))}\n`).join('');
}

/** What an export did. */
export interface ExportSummary {
  kind: ExportKind;
  rows: number;
  pages: number;
  seconds: number;
  rowsPerSecond: number;
}

/** Writes the export to `out` (a file or stdout), waiting whenever it is slower than the API. */
export async function runExport(execute: GraphqlExecutor, out: Writable, options: ExportOptions): Promise<ExportSummary> {
  const started = Date.now();
  let last: ExportProgress = { rows: 0, pages: 0, totalCount: 0, listed: 0 };
  for await (const chunk of exportChunks(execute, { ...options, onProgress: (p) => ((last = p), options.onProgress?.(p)) })) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  const seconds = (Date.now() - started) / 1000;
  return { kind: options.kind, rows: last.rows, pages: last.pages, seconds, rowsPerSecond: seconds > 0 ? Math.round(last.rows / seconds) : last.rows };
}

/** A GraphqlExecutor over HTTP: POSTs to the gateway with a bearer token. */
export function httpGraphqlExecutor(url: string, token: string): GraphqlExecutor {
  return async (query, variables) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    const text = await response.text();
    let body: GraphqlAnswer;
    try {
      body = JSON.parse(text) as GraphqlAnswer;
    } catch {
      throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `the gateway answered ${response.status} without GraphQL`);
    }
    if (response.status === 401) throw new AppError(ErrorCode.UNAUTHENTICATED, `the gateway refused the token: ${body.errors?.[0]?.message ?? 'unauthenticated'}`);
    return body;
  };
}
