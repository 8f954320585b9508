import type { Queryable } from '../../../platform/db';
import type { ChangeEvent } from '../../../platform/outbox';

/** The only code that reads or writes `received_events`, the webhook deduplication log. */
export class ReceivedEventRepository {
  constructor(private readonly db: Queryable) {}

  /** Records an event once; false when its eventId was received before (a redelivery). */
  async record(event: ChangeEvent): Promise<boolean> {
    const result = await this.db.query<{ event_id: string }>(
      `INSERT INTO received_events (event_id, source, entity, entity_id, version, action, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [event.eventId, event.source, event.entity, event.entityId, event.version, event.action, event.occurredAt],
    );
    return result.rows.length === 1;
  }

  /** How many events of a source were received. */
  async count(source?: string): Promise<number> {
    const result = await this.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM received_events WHERE $1::text IS NULL OR source = $1', [source ?? null]);
    return Number(result.rows[0].n);
  }
}
