import type { Queryable } from '../../../platform/db';
import type { ChangeEvent } from '../../../platform/outbox';

/** The only code that reads or writes `received_events`, the webhook deduplication log. */
export class ReceivedEventRepository {
  constructor(private readonly db: Queryable) {}

  /** Records each event once, in one statement; returns the ones not received before (redeliveries left out), in order. */
  async recordNew(events: readonly ChangeEvent[]): Promise<ChangeEvent[]> {
    if (events.length === 0) return [];
    const result = await this.db.query<{ event_id: string }>(
      `INSERT INTO received_events (event_id, source, entity, entity_id, version, action, occurred_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::timestamptz[])
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [
        events.map((e) => e.eventId),
        events.map((e) => e.source),
        events.map((e) => e.entity),
        events.map((e) => e.entityId),
        events.map((e) => e.version),
        events.map((e) => e.action),
        events.map((e) => e.occurredAt),
      ],
    );
    const fresh = new Set(result.rows.map((r) => r.event_id));
    return events.filter((e) => fresh.has(e.eventId));
  }

  /** How many events of a source were received. */
  async count(source?: string): Promise<number> {
    const result = await this.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM received_events WHERE $1::text IS NULL OR source = $1', [source ?? null]);
    return Number(result.rows[0].n);
  }
}
