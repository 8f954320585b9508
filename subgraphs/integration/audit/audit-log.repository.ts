import { z } from 'zod';
import type { Database } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { decodeCursor, encodeCursor } from '../../../platform/pagination';

/** One stored audit entry, as the auditLog query answers it. */
export interface AuditLogEntry {
  id: string;
  at: string;
  sub: string;
  role: string;
  operationName: string | null;
  field: string;
  ids: string[];
  outcome: string;
}

/** A page of the audit log, newest first. */
export interface AuditLogPage {
  nodes: AuditLogEntry[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const text = (max: number) => z.string().trim().min(1).max(max);

/** What the gateway may report: bounded, so a flood of ids cannot bloat the table. */
export const auditEntriesSchema = z.object({
  entries: z
    .array(
      z.object({
        at: z.string().datetime({ offset: true }),
        sub: text(200),
        role: text(50),
        operationName: text(200).nullable(),
        field: text(100),
        ids: z.array(z.string().max(200)).max(100),
        outcome: text(50),
      }),
    )
    .min(1)
    .max(100),
});

/** The audit entries the gateway reports, one batch per request. */
export type AuditEntriesInput = z.infer<typeof auditEntriesSchema>['entries'];

interface AuditRow {
  seq: number;
  at: string | Date;
  sub: string;
  role: string;
  operation_name: string | null;
  field: string;
  ids: string[] | string;
  outcome: string;
}

/** The audit_log table (migrations/005-audit-log.sql): append and page, newest first. */
export class AuditLogRepository {
  constructor(private readonly db: Database) {}

  /** Appends a batch in one statement, in its order. */
  async append(entries: AuditEntriesInput): Promise<void> {
    if (entries.length === 0) return;
    await this.db.query(
      `INSERT INTO audit_log (at, sub, role, operation_name, field, ids, outcome)
       SELECT at, sub, role, operation_name, field, ids::jsonb, outcome
       FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY
         AS e(at, sub, role, operation_name, field, ids, outcome, position)
       ORDER BY position`,
      [
        entries.map((e) => e.at),
        entries.map((e) => e.sub),
        entries.map((e) => e.role),
        entries.map((e) => e.operationName),
        entries.map((e) => e.field),
        entries.map((e) => JSON.stringify(e.ids)),
        entries.map((e) => e.outcome),
      ],
    );
  }

  /** A page of entries, newest first; `after` is the endCursor of the previous page. */
  async page(first: number, after: string | null | undefined): Promise<AuditLogPage> {
    const cursor = decodeCursor(after);
    const before = cursor === undefined ? null : Number(cursor);
    if (before !== null && (!Number.isInteger(before) || before < 0)) throw new AppError(ErrorCode.BAD_USER_INPUT, 'after is not a cursor of this list', { field: 'after' });
    const { rows } = await this.db.query<AuditRow>(
      'SELECT seq, at, sub, role, operation_name, field, ids, outcome FROM audit_log WHERE ($1::bigint IS NULL OR seq < $1) ORDER BY seq DESC LIMIT $2',
      [before, first + 1],
    );
    const page = rows.slice(0, first);
    return {
      nodes: page.map((row) => ({
        id: String(row.seq),
        at: new Date(row.at).toISOString(),
        sub: row.sub,
        role: row.role,
        operationName: row.operation_name,
        field: row.field,
        ids: typeof row.ids === 'string' ? (JSON.parse(row.ids) as string[]) : row.ids,
        outcome: row.outcome,
      })),
      pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(String(page[page.length - 1].seq)) : null },
    };
  }
}
