import path from 'node:path';
import { type Database, openDatabase } from '../../../platform/db';
import { createLogger } from '../../../platform/logger';
import { migrate } from '../../../platform/migrate';
import { LiveEventFeed } from './live-event-feed';
import { LiveEventRepository } from './live-event.repository';

const logger = createLogger('test', 'silent');

describe('the live event feed on an embedded database', () => {
  let db: Database;
  let repository: LiveEventRepository;
  let reads: number;

  beforeAll(async () => {
    db = await openDatabase({ service: 'integration' });
    await migrate(db, path.join(__dirname, '../migrations'));
  });

  afterAll(() => db.close());

  beforeEach(async () => {
    await db.exec('DELETE FROM live_events');
    repository = new LiveEventRepository(db);
    reads = 0;
    const readAfter = repository.readAfter.bind(repository);
    repository.readAfter = (...args) => {
      reads++;
      return readAfter(...args);
    };
  });

  const event = (key: string) => ({ type: 'orderFlow.updated' as const, key, customerId: null, data: { key } });

  it('counts writes that change rows, and writing statements that return rows, as changes; reads and writes that change nothing are not', async () => {
    const changes = db.changes!;
    let before = changes();
    await db.query('SELECT count(*) FROM live_events');
    expect(changes()).toBe(before);
    await db.query("UPDATE live_events SET entity_key = 'x' WHERE id = -1");
    expect(changes()).toBe(before);
    await repository.append([event('a')]);
    expect(changes()).toBe(++before);
    // A data-changing CTE reports no changed rows; the rows it returns say it changed some.
    await db.query("WITH changed AS (UPDATE live_events SET entity_key = 'b' RETURNING id) SELECT id FROM changed");
    expect(changes()).toBe(++before);
    await db.transaction((tx) => tx.query("UPDATE live_events SET entity_key = 'c'"));
    expect(changes()).toBe(++before);
  });

  it('reads the log only after a change, or every idleReadMs while nothing changes, and releases what was written', async () => {
    const feed = new LiveEventFeed({ repository, logger, changes: db.changes, idleReadMs: 60_000, gapWaitMs: 0 });
    const released: string[] = [];
    feed.onRelease((events) => released.push(...events.map((e) => e.key)));
    await feed.start();
    try {
      await feed.tick();
      const afterFirst = reads;
      await feed.tick();
      await feed.tick();
      expect(reads).toBe(afterFirst);
      await repository.append([event('k1'), event('k2')]);
      await feed.tick();
      expect(reads).toBe(afterFirst + 1);
      expect(released).toEqual(['k1', 'k2']);
      await feed.tick();
      expect(reads).toBe(afterFirst + 1);
    } finally {
      await feed.stop();
    }
  });

  it('still reads every idleReadMs when nothing seems to change, so a change no result reported is released', async () => {
    const feed = new LiveEventFeed({ repository, logger, changes: () => 0, idleReadMs: 0, gapWaitMs: 0 });
    const released: string[] = [];
    feed.onRelease((events) => released.push(...events.map((e) => e.key)));
    await feed.start();
    try {
      await repository.append([event('unreported')]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await feed.tick();
      expect(released).toEqual(['unreported']);
    } finally {
      await feed.stop();
    }
  });
});
