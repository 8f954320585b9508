import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { Database, Queryable } from './db';
import type { Logger } from './logger';
import { encodeChangeEvents } from './change-event-wire';
import { WEBHOOK_SIGNATURE_HEADER, signWebhook } from './webhook-signature';
import { Gauge } from 'prom-client';
import type { ServiceMetrics } from './metrics';
import { PollLoop } from './poll-loop';

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
CREATE INDEX IF NOT EXISTS outbox_events_pending ON outbox_events (next_attempt_at) WHERE delivered_at IS NULL;
CREATE TABLE IF NOT EXISTS outbox_cursors (
  target text PRIMARY KEY,
  last_seq bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text
);`;

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

/** A change to record as an event. */
export interface RecordedChange {
  entity: string;
  entityId: string;
  version: number;
  action: ChangeEvent['action'];
  /**
   * The event's id when the change itself determines it (a poller that reads the same change twice
   * records it once); a new random id otherwise.
   */
  eventId?: string;
}

/** Changes recorded inside `withBatchedChanges`, per transaction, not yet written. */
const pendingChanges = new WeakMap<Queryable, RecordedChange[]>();

/**
 * Runs a write with the change events it records collected and written in one statement when it
 * is done, in the same transaction: a write that touches an order, its lines' stock and a
 * shipment costs one outbox insert, not one per record. Events keep the order they were recorded in.
 */
export async function withBatchedChanges<T>(tx: Queryable, work: (tx: Queryable) => Promise<T>): Promise<T> {
  const pending: RecordedChange[] = [];
  pendingChanges.set(tx, pending);
  try {
    const result = await work(tx);
    await recordChanges(tx, pending);
    return result;
  } finally {
    pendingChanges.delete(tx);
  }
}

/** Records a change in the caller's transaction, so the event exists exactly when the change does. */
export async function recordChange(tx: Queryable, change: RecordedChange): Promise<void> {
  const pending = pendingChanges.get(tx);
  if (pending) {
    pending.push(change);
    return;
  }
  await tx.query('INSERT INTO outbox_events (event_id, entity, entity_id, version, action) VALUES ($1, $2, $3, $4, $5)', [
    randomUUID(),
    change.entity,
    change.entityId,
    change.version,
    change.action,
  ]);
}

/**
 * Records many changes in one statement (bulk writes), in the caller's transaction, in their order;
 * a change whose event id is recorded already is left out. Returns how many were recorded.
 */
export async function recordChanges(tx: Queryable, changes: readonly RecordedChange[]): Promise<number> {
  if (changes.length === 0) return 0;
  const result = await tx.query<{ n: number }>(
    `WITH recorded AS (
       INSERT INTO outbox_events (event_id, entity, entity_id, version, action)
       SELECT e, n, i, v, a FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[]) WITH ORDINALITY AS c(e, n, i, v, a, position) ORDER BY position
       ON CONFLICT (event_id) DO NOTHING RETURNING 1)
     SELECT count(*)::int8 AS n FROM recorded`,
    [changes.map((c) => c.eventId ?? randomUUID()), changes.map((c) => c.entity), changes.map((c) => c.entityId), changes.map((c) => c.version), changes.map((c) => c.action)],
  );
  return Number(result.rows[0].n);
}

/** Where and how the dispatcher delivers. */
export interface OutboxDispatcherOptions {
  db: Database;
  source: string;
  /** Subscriber URLs; each has its own position, and an event is delivered when all passed it. */
  targets: string[];
  secret: string;
  logger: Logger;
  /** Poll interval in milliseconds; default 200. */
  intervalMs?: number;
  /**
   * On an embedded database (Database.changes, written by this process alone): the longest the
   * dispatcher goes without looking while nothing changed since a pass that found nothing due;
   * default 1000 ms. A new event is a change, so it is looked for at the next interval as before.
   */
  idleCheckMs?: number;
  /** Events per delivery (one signed POST); default 100. */
  batchSize?: number;
  /** When given, each subscriber's backlog and failed attempts are exported from it at scrape time. */
  metrics?: ServiceMetrics;
}

/**
 * Delivers recorded events in order, in signed batches, to each subscriber on its own cursor: a subscriber
 * that is down is retried with exponential backoff (capped at a minute) and loses nothing, while
 * the others carry on. Receivers deduplicate by eventId.
 */
export class OutboxDispatcher {
  private readonly loop = new PollLoop({ run: () => this.pass(), onError: (error) => this.passFailed(error) });
  /** The database's change count at the start of the last pass that found nothing due and nobody failing; -1 otherwise. */
  private quietAt = -1;
  private checkedAt = 0;
  /** Subscribers whose last delivery failed (or that wait for their retry). */
  private readonly failing = new Set<string>();

  constructor(private readonly options: OutboxDispatcherOptions) {
    if (options.metrics) this.exportBacklog(options.metrics);
  }

  /**
   * webhook_delivery_backlog: events each subscriber has not received yet (sequence distance, read
   * when scraped: one small query, nothing on the delivery path); webhook_delivery_failed_attempts:
   * consecutive failed deliveries to it (0 when healthy).
   */
  private exportBacklog(metrics: ServiceMetrics): void {
    const { db } = this.options;
    // Both gauges are collected in the same scrape: they share one query in flight.
    let inFlight: Promise<{ target: string; backlog: number; attempts: number }[]> | undefined;
    const read = () =>
      (inFlight ??= db
        .query<{ target: string; backlog: number; attempts: number }>(
          `SELECT target, greatest(coalesce((SELECT max(seq) FROM outbox_events), 0) - last_seq, 0)::int AS backlog, attempts FROM outbox_cursors`,
        )
        .then((r) => r.rows, () => [])
        .finally(() => {
          inFlight = undefined;
        }));
    new Gauge({
      name: 'webhook_delivery_backlog',
      help: 'Change events not yet delivered to a webhook subscriber',
      labelNames: ['subscriber'],
      registers: [metrics.registry],
      async collect() {
        this.reset();
        for (const row of await read()) this.set({ subscriber: row.target }, row.backlog);
      },
    });
    new Gauge({
      name: 'webhook_delivery_failed_attempts',
      help: 'Consecutive failed deliveries to a webhook subscriber (0 when it answers)',
      labelNames: ['subscriber'],
      registers: [metrics.registry],
      async collect() {
        this.reset();
        for (const row of await read()) this.set({ subscriber: row.target }, row.attempts);
      },
    });
  }

  /** Starts polling. */
  start(): void {
    this.loop.start();
  }

  /** Stops polling and waits for a delivery in progress. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Delivers what is due now to every subscriber; returns how many deliveries succeeded. */
  async deliverDue(): Promise<number> {
    const { db, targets } = this.options;
    // With nobody subscribed, events wait: marking them delivered would lose them for good.
    if (targets.length === 0) return 0;
    let delivered = 0;
    for (const n of await Promise.all(targets.map((target) => this.deliverTo(target)))) delivered += n;
    // An event every current subscriber has passed is done.
    await db.query(
      `UPDATE outbox_events SET delivered_at = now() WHERE delivered_at IS NULL
       AND seq <= (SELECT min(last_seq) FROM outbox_cursors WHERE target = ANY($1::text[]))`,
      [targets],
    );
    return delivered;
  }

  private async deliverTo(target: string): Promise<number> {
    const { db, batchSize = 100 } = this.options;
    // A new subscriber starts at the oldest event not yet delivered to everyone else.
    await db.query(
      `INSERT INTO outbox_cursors (target, last_seq)
       SELECT $1, coalesce((SELECT min(seq) - 1 FROM outbox_events WHERE delivered_at IS NULL), (SELECT max(seq) FROM outbox_events), 0)
       ON CONFLICT (target) DO NOTHING`,
      [target],
    );
    const cursor = (await db.query<{ last_seq: string; attempts: number; due: boolean }>(
      'SELECT last_seq, attempts, next_attempt_at <= now() AS due FROM outbox_cursors WHERE target = $1',
      [target],
    )).rows[0];
    if (!cursor.due) {
      this.failing.add(target);
      return 0;
    }
    const due = await db.query<{ seq: string; event_id: string; entity: string; entity_id: string; version: number; action: ChangeEvent['action']; occurred_at: Date }>(
      `SELECT seq, event_id, entity, entity_id, version, action, occurred_at FROM outbox_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [cursor.last_seq, batchSize],
    );
    if (due.rows.length === 0) return 0;
    const events: ChangeEvent[] = due.rows.map((row) => ({
      eventId: row.event_id,
      source: this.options.source,
      entity: row.entity,
      entityId: row.entity_id,
      version: row.version,
      action: row.action,
      occurredAt: new Date(row.occurred_at).toISOString(),
    }));
    const error = await this.send(target, encodeChangeEvents(events));
    if (error) {
      const delaySeconds = Math.min(60, 2 ** Math.min(cursor.attempts, 6) * 0.25);
      await db.query(
        `UPDATE outbox_cursors SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE target = $1`,
        [target, error, delaySeconds],
      );
      await db.query('UPDATE outbox_events SET attempts = attempts + 1, last_error = $2 WHERE seq = $1', [due.rows[0].seq, error]);
      this.failing.add(target);
      // The whole batch is sent again, in order: this subscriber sees each record's events in order.
      return 0;
    }
    await db.query('UPDATE outbox_cursors SET last_seq = $2, attempts = 0, last_error = NULL, next_attempt_at = now() WHERE target = $1', [target, due.rows[due.rows.length - 1].seq]);
    this.failing.delete(target);
    return due.rows.length;
  }

  private async send(target: string, body: string): Promise<string | null> {
    try {
      const response = await request(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: signWebhook(this.options.secret, body) },
        body,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await response.body.dump();
      return response.statusCode >= 200 && response.statusCode < 300 ? null : `${target} answered ${response.statusCode}`;
    } catch (error) {
      return `${target}: ${(error as { code?: string }).code ?? (error as Error).message}`;
    }
  }

  /** One pass of the poll loop; returns how long to wait before the next. */
  private async pass(): Promise<number> {
    const interval = this.options.intervalMs ?? 200;
    const changes = this.options.db.changes?.();
    // Nothing written since a quiet pass: nothing can be due (PGlite, one writer); look now and then anyway.
    if (changes !== undefined && changes === this.quietAt && Date.now() - this.checkedAt < (this.options.idleCheckMs ?? 1000)) return interval;
    this.checkedAt = Date.now();
    const delivered = await this.deliverDue();
    this.quietAt = delivered === 0 && this.failing.size === 0 && changes !== undefined ? changes : -1;
    return delivered > 0 ? 0 : interval;
  }

  private passFailed(error: unknown): number {
    this.options.logger.warn({ err: error }, 'outbox delivery failed');
    return 1000;
  }
}
