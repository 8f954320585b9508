import path from 'node:path';
import type { Database } from '../../../platform/db';
import type { Logger } from '../../../platform/logger';
import { migrate } from '../../../platform/migrate';
import { OUTBOX_TABLE_SQL, recordChanges } from '../../../platform/outbox';
import { PollLoop } from '../../../platform/poll-loop';
import { type ChangeCursor, type ChangeModel, TRYTON_CHANGE_MODELS, type TrytonChangeFeed, later } from './tryton-change-feed';

/** What the poller needs. */
export interface TrytonChangePollerOptions {
  /** Its own database: the outbox the events are delivered from and the cursors (see `migrateTrytonChangeDatabase`). */
  db: Database;
  feed: TrytonChangeFeed;
  /** The Tryton database polled; cursors are kept per database and model. */
  database: string;
  logger: Logger;
  /** Pause between polls (TRYTON_POLL_MS). */
  intervalMs: number;
  /** How far before its cursor a poll reads again, for writes that commit late (TRYTON_POLL_OVERLAP_MS). */
  overlapMs: number;
  models?: readonly ChangeModel[];
}

/** Creates the outbox and cursor tables of a poller's database (safe to run again). */
export async function migrateTrytonChangeDatabase(db: Database): Promise<void> {
  await db.exec(OUTBOX_TABLE_SQL);
  await migrate(db, path.join(__dirname, 'migrations'));
}

/**
 * Turns Tryton's changes into the change events the reference ERP sends, for ERPs that send none:
 * every `intervalMs` it reads each model's changes since its cursor (less the overlap) and, in one
 * transaction per model, records the ones not recorded before in the outbox and moves the cursor.
 * The outbox delivers them, signed, to the same webhook receivers. A restart resumes from the stored
 * cursors: nothing is missed, and what is read again keeps its event id, so it is not sent twice.
 * With no cursor yet, polling starts at the newest change: existing records are not news. (A
 * restart within the overlap of that first poll reports the window's records once more, which
 * receivers take as a reason to look again, nothing more.)
 */
export class TrytonChangePoller {
  private readonly cursors = new Map<string, ChangeCursor>();
  /** Per model, the event ids recorded within the overlap window (with their time), so polls that read them again skip the insert. */
  private readonly recent = new Map<string, Map<string, string>>();
  private readonly models: readonly ChangeModel[];
  private readonly loop = new PollLoop({
    run: async () => {
      await this.pollOnce();
      return this.options.intervalMs;
    },
    onError: (error) => {
      this.options.logger.warn({ err: error }, 'polling Tryton for changes failed; trying again');
      return this.options.intervalMs;
    },
  });
  private baselineTaken = false;

  constructor(private readonly options: TrytonChangePollerOptions) {
    this.models = options.models ?? TRYTON_CHANGE_MODELS;
  }

  /** True once every model has a cursor (the first poll took the baseline). */
  hasBaseline(): boolean {
    return this.baselineTaken;
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One poll of every model; returns how many new events were recorded. */
  async pollOnce(): Promise<number> {
    const recorded = await Promise.all(this.models.map((source) => this.pollModel(source)));
    this.baselineTaken = true;
    return recorded.reduce((sum, n) => sum + n, 0);
  }

  private async pollModel(source: ChangeModel): Promise<number> {
    const { db, feed, overlapMs } = this.options;
    const key = `${this.options.database}:${source.model}`;
    const cursor = this.cursors.get(key) ?? (await this.storedCursor(key));
    const recent = this.recent.get(key) ?? new Map<string, string>();
    this.recent.set(key, recent);
    if (!cursor) {
      const newest = await feed.newest(source);
      // What the next poll reads again within the overlap is as old as the rest: not news either.
      for (const change of await feed.changesSince(source, newest, overlapMs)) recent.set(change.eventId, change.position.stamp);
      await this.saveCursor(db, key, newest);
      this.cursors.set(key, newest);
      return 0;
    }
    const changes = await feed.changesSince(source, cursor, overlapMs);
    const fresh = changes.filter((c) => !recent.has(c.eventId));
    const next = changes.reduce((max, c) => later(max, c.position), cursor);
    const recorded = await db.transaction(async (tx) => {
      const n = await recordChanges(tx, fresh);
      await this.saveCursor(tx, key, next);
      return n;
    });
    this.cursors.set(key, next);
    for (const change of fresh) recent.set(change.eventId, change.position.stamp);
    // Older than any poll of this model reads again.
    const forgotten = new Date(Date.parse(next.stamp) - overlapMs - 1000).toISOString();
    for (const [eventId, stamp] of recent) if (stamp < forgotten) recent.delete(eventId);
    if (recorded > 0) this.options.logger.debug({ model: source.model, recorded, cursor: next }, 'tryton changes recorded');
    return recorded;
  }

  private async storedCursor(key: string): Promise<ChangeCursor | undefined> {
    const { rows } = await this.options.db.query<{ stamp: string; record_id: string | number }>('SELECT stamp, record_id FROM tryton_change_cursors WHERE source = $1', [key]);
    return rows[0] ? { stamp: rows[0].stamp, id: Number(rows[0].record_id) } : undefined;
  }

  private async saveCursor(db: Pick<Database, 'query'>, key: string, cursor: ChangeCursor): Promise<void> {
    await db.query(
      `INSERT INTO tryton_change_cursors (source, stamp, record_id) VALUES ($1, $2, $3)
       ON CONFLICT (source) DO UPDATE SET stamp = excluded.stamp, record_id = excluded.record_id, updated_at = now()`,
      [key, cursor.stamp, cursor.id],
    );
  }
}
