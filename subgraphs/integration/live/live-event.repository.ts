import type { Queryable } from '../../../platform/db';
import type { LiveEvent, LiveEventType } from '../../../platform/live-event';

interface LiveEventRow {
  id: string | number;
  type: string;
  entity_key: string;
  customer_id: string | null;
  data: Record<string, unknown> | string;
  occurred_at: Date | string;
}

/** An event to append; flow changes are appended by the migration's triggers instead. */
export type NewLiveEvent = Pick<LiveEvent, 'type' | 'key' | 'customerId' | 'data'>;

/** What a read of the log may be narrowed to. */
export interface LiveEventFilter {
  types?: readonly LiveEventType[];
  key?: string;
  customerId?: string;
}

/** The only code that reads or writes `live_events`. */
export class LiveEventRepository {
  constructor(private readonly db: Queryable) {}

  /** Appends events in one statement, in the given order. */
  async append(events: readonly NewLiveEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.query(
      `INSERT INTO live_events (type, entity_key, customer_id, data)
       SELECT type, entity_key, customer_id, data::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(type, entity_key, customer_id, data, n) ORDER BY n`,
      [events.map((e) => e.type), events.map((e) => e.key), events.map((e) => e.customerId), events.map((e) => JSON.stringify(e.data))],
    );
  }

  /** Events with `after` < id ≤ `upTo` (when given), oldest first, at most `limit`. */
  async readAfter(after: string, limit: number, upTo?: string, filter: LiveEventFilter = {}): Promise<LiveEvent[]> {
    const { rows } = await this.db.query<LiveEventRow>(
      `SELECT id, type, entity_key, customer_id, data, occurred_at FROM live_events
       WHERE id > $1::int8 AND ($2::int8 IS NULL OR id <= $2::int8)
         AND ($3::text[] IS NULL OR type = ANY($3::text[]))
         AND ($4::text IS NULL OR entity_key = $4) AND ($5::text IS NULL OR customer_id = $5)
       ORDER BY id LIMIT $6`,
      [after, upTo ?? null, filter.types ? [...filter.types] : null, filter.key ?? null, filter.customerId ?? null, limit],
    );
    return rows.map(toEvent);
  }

  /** The newest id, or "0" when the log is empty. */
  async latestId(): Promise<string> {
    const { rows } = await this.db.query<{ id: string | number | null }>('SELECT max(id) AS id FROM live_events');
    return String(rows[0].id ?? 0);
  }

  /** The oldest id still kept, or null when the log is empty. */
  async oldestId(): Promise<string | null> {
    const { rows } = await this.db.query<{ id: string | number | null }>('SELECT min(id) AS id FROM live_events');
    return rows[0].id === null ? null : String(rows[0].id);
  }

  /** Deletes events older than the retention window; returns how many. */
  async prune(retentionMs: number): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `WITH gone AS (DELETE FROM live_events WHERE occurred_at < now() - ($1::int8 * interval '1 millisecond') RETURNING 1) SELECT count(*)::int8 AS n FROM gone`,
      [retentionMs],
    );
    return Number(rows[0].n);
  }
}

function toEvent(row: LiveEventRow): LiveEvent {
  return {
    id: String(row.id),
    type: row.type as LiveEventType,
    key: row.entity_key,
    customerId: row.customer_id,
    data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
    occurredAt: new Date(row.occurred_at).toISOString(),
  };
}
