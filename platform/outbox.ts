import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { Database, Queryable } from './db';
import type { Logger } from './logger';
import { WEBHOOK_SIGNATURE_HEADER, signWebhook } from './webhook-signature';

/** The table a backend needs for its change events (put it in one of its migrations). */
export const OUTBOX_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS outbox_events (
  seq bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  entity text NOT NULL,
  entity_id text NOT NULL,
  version integer NOT NULL,
  action text NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  last_error text
);
CREATE INDEX IF NOT EXISTS outbox_events_pending ON outbox_events (next_attempt_at) WHERE delivered_at IS NULL;`;

/** A change event as sent to subscribers: which record changed, not its contents. */
export interface ChangeEvent {
  eventId: string;
  /** The system that emitted it ("erp" or "crm"). */
  source: string;
  entity: string;
  entityId: string;
  version: number;
  action: 'created' | 'updated' | 'deleted';
  occurredAt: string;
}

/** Records a change in the caller's transaction, so the event exists exactly when the change does. */
export async function recordChange(
  tx: Queryable,
  change: { entity: string; entityId: string; version: number; action: ChangeEvent['action'] },
): Promise<void> {
  await tx.query('INSERT INTO outbox_events (event_id, entity, entity_id, version, action) VALUES ($1, $2, $3, $4, $5)', [
    randomUUID(),
    change.entity,
    change.entityId,
    change.version,
    change.action,
  ]);
}

/** Records many changes in one statement (bulk writes), in the caller's transaction. */
export async function recordChanges(
  tx: Queryable,
  changes: readonly { entity: string; entityId: string; version: number; action: ChangeEvent['action'] }[],
): Promise<void> {
  if (changes.length === 0) return;
  await tx.query(
    `INSERT INTO outbox_events (event_id, entity, entity_id, version, action)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[])`,
    [changes.map(() => randomUUID()), changes.map((c) => c.entity), changes.map((c) => c.entityId), changes.map((c) => c.version), changes.map((c) => c.action)],
  );
}

/** Where and how the dispatcher delivers. */
export interface OutboxDispatcherOptions {
  db: Database;
  source: string;
  /** Subscriber URLs; an event is delivered when every one of them answered 2xx. */
  targets: string[];
  secret: string;
  logger: Logger;
  /** Poll interval in milliseconds; default 200. */
  intervalMs?: number;
  /** Events per poll; default 100. */
  batchSize?: number;
}

/**
 * Delivers recorded events in order, signed, retrying failed deliveries with exponential backoff
 * (capped at a minute) so a receiver that is down loses nothing. Receivers deduplicate by eventId.
 */
export class OutboxDispatcher {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;

  constructor(private readonly options: OutboxDispatcherOptions) {}

  /** Starts polling. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for a delivery in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Delivers what is due now; returns how many events were delivered. */
  async deliverDue(): Promise<number> {
    const { db, batchSize = 100 } = this.options;
    // With nobody subscribed, events wait: marking them delivered would lose them for good.
    if (this.options.targets.length === 0) return 0;
    const due = await db.query<{ seq: string; event_id: string; entity: string; entity_id: string; version: number; action: ChangeEvent['action']; occurred_at: Date; attempts: number }>(
      `SELECT seq, event_id, entity, entity_id, version, action, occurred_at, attempts FROM outbox_events
       WHERE delivered_at IS NULL AND next_attempt_at <= now() ORDER BY seq LIMIT $1`,
      [batchSize],
    );
    let delivered = 0;
    for (const row of due.rows) {
      const event: ChangeEvent = {
        eventId: row.event_id,
        source: this.options.source,
        entity: row.entity,
        entityId: row.entity_id,
        version: row.version,
        action: row.action,
        occurredAt: new Date(row.occurred_at).toISOString(),
      };
      const error = await this.send(event);
      if (!error) {
        await db.query('UPDATE outbox_events SET delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE seq = $1', [row.seq]);
        delivered++;
      } else {
        const delaySeconds = Math.min(60, 2 ** Math.min(row.attempts, 6) * 0.25);
        await db.query(
          `UPDATE outbox_events SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE seq = $1`,
          [row.seq, error, delaySeconds],
        );
        // Later events wait for this one, so a receiver sees each record's events in order.
        break;
      }
    }
    return delivered;
  }

  private async send(event: ChangeEvent): Promise<string | null> {
    const body = JSON.stringify(event);
    for (const target of this.options.targets) {
      try {
        const response = await request(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: signWebhook(this.options.secret, body) },
          body,
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        await response.body.dump();
        if (response.statusCode < 200 || response.statusCode >= 300) return `${target} answered ${response.statusCode}`;
      } catch (error) {
        return `${target}: ${(error as { code?: string }).code ?? (error as Error).message}`;
      }
    }
    return null;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.deliverDue()
        .then((n) => this.schedule(n > 0 ? 0 : (this.options.intervalMs ?? 200)))
        .catch((error) => {
          this.options.logger.warn({ err: error }, 'outbox delivery failed');
          this.schedule(1000);
        });
    }, delay);
  }
}
