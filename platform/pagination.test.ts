import type { Database, Queryable } from './db';
import { browseOrChangedPage, encodeCursor } from './pagination';
import { DATABASE_KINDS, openTestDatabase } from '../test-support/databases';
import { describeOn } from '../test-support/services';

describeOn(DATABASE_KINDS, 'keyset pages on %s', (kind) => {
  let db: Database;
  let dispose: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const opened = await openTestDatabase(kind, 'erp');
    ({ db, dispose } = opened);
    await db.exec(`CREATE TABLE docs (id text PRIMARY KEY, status text NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    await db.query(
      `INSERT INTO docs (id, status, created_at) SELECT 'D-' || lpad(n::text, 4, '0'), CASE WHEN n % 3 = 0 THEN 'OPEN' ELSE 'DONE' END, timestamptz '2026-01-01' + n * interval '1 minute' FROM generate_series(1, 250) n`,
    );
  });

  afterAll(async () => {
    await dispose?.();
  });

  /** The database, counting the count statements run through it. */
  function counting(through: Queryable = db): { q: Queryable; counts: () => number } {
    let counts = 0;
    return {
      q: { query: (text, params) => ((counts += text.startsWith('SELECT count(*)') ? 1 : 0), through.query(text, params)) },
      counts: () => counts,
    };
  }

  const page = (q: Queryable, status: string, after?: string | null) =>
    browseOrChangedPage<{ key: string; id: string }>(q, { select: 'id AS key, id', from: 'docs', created: 'created_at', browse: 'newest', where: ['status = $1'], params: [status], first: 50, after });

  test('counts once while nothing is committed, and every page tells the same exact total', async () => {
    // A PostgreSQL snapshot moves with a commit anywhere on the server, and other suites commit
    // on the same server meanwhile: the pages read in one repeatable-read transaction, so nothing
    // is committed as far as they can see.
    await db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const { q, counts } = counting(tx);
      const ids: string[] = [];
      let after: string | null = null;
      do {
        const result = await page(q, 'DONE', after);
        expect(result.totalCount).toBe(167);
        ids.push(...result.items.map((r) => r.id));
        after = result.nextCursor;
      } while (after);
      expect(ids).toHaveLength(167);
      expect(new Set(ids).size).toBe(167);
      expect(counts()).toBe(1);
    });
  });

  test('recounts on the page after a commit, so the total stays exact', async () => {
    const { q, counts } = counting();
    const first = await page(q, 'OPEN');
    expect(first.totalCount).toBe(83);
    await db.query(`INSERT INTO docs (id, status, created_at) VALUES ('D-9999', 'OPEN', timestamptz '2025-01-01')`);
    const second = await page(q, 'OPEN', first.nextCursor);
    expect(second.totalCount).toBe(84);
    expect(counts()).toBe(2);
    await db.query(`DELETE FROM docs WHERE id = 'D-9999'`);
  });

  test('recounts when a cursor is used with another filter', async () => {
    const { q } = counting();
    const open = await page(q, 'OPEN');
    const done = await page(q, 'DONE', open.nextCursor);
    expect(done.totalCount).toBe(167);
  });

  test('still takes a cursor without a carried total, and refuses a total that is not a count', async () => {
    const first = await page(db, 'DONE');
    const [at, key] = JSON.parse(Buffer.from(first.nextCursor!, 'base64url').toString('utf8')) as string[];
    const plain = await page(db, 'DONE', encodeCursor(JSON.stringify([at, key])));
    expect(plain.totalCount).toBe(167);
    expect(plain.items[0].id).toBe((await page(db, 'DONE', first.nextCursor)).items[0].id);
    await expect(page(db, 'DONE', encodeCursor(JSON.stringify([at, key, '-1', 'x'])))).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
