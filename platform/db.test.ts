import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Database } from './db';
import { migrate } from './migrate';
import { requestHash, runIdempotent, IDEMPOTENCY_TABLE_SQL } from './idempotency';
import { AppError } from './errors';
import { DATABASE_KINDS, openTestDatabase } from '../test-support/databases';
import { describeOn } from '../test-support/services';

// The same behaviour is promised by PGlite (embedded default) and PostgreSQL (services).
describeOn(DATABASE_KINDS, 'database on %s', (kind) => {
  let db: Database;
  let dispose: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const opened = await openTestDatabase(kind, 'dbtest');
    ({ db, dispose } = opened);
    await db.exec(IDEMPOTENCY_TABLE_SQL);
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('keeps numeric amounts exact as strings', async () => {
    const { rows } = await db.query<{ total: string }>("SELECT (0.1::numeric(14,2) + 0.2::numeric(14,2)) AS total");
    expect(rows[0].total).toBe('0.30');
  });

  it('rolls back a transaction that throws', async () => {
    await db.exec('CREATE TABLE IF NOT EXISTS t_rollback (id int primary key)');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t_rollback (id) VALUES (1)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t_rollback');
    expect(rows[0].n).toBe(0);
  });

  it('applies each migration once, in name order', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, '001-create.sql'), 'CREATE TABLE m_items (id int primary key, name text);');
    writeFileSync(path.join(folder, '002-seed.sql'), "INSERT INTO m_items VALUES (1, 'a'); INSERT INTO m_items VALUES (2, 'b');");
    expect(await migrate(db, folder)).toEqual(['001-create.sql', '002-seed.sql']);
    expect(await migrate(db, folder)).toEqual([]);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM m_items');
    expect(rows[0].n).toBe(2);
  });

  it('runs an idempotent write once and replays its answer for the same key', async () => {
    await db.exec('CREATE TABLE IF NOT EXISTS t_orders (id serial primary key, note text)');
    const write = () =>
      runIdempotent(db!, 'key-1', requestHash('POST', '/orders', { note: 'x' }), async (tx) => {
        const { rows } = await tx.query<{ id: number }>("INSERT INTO t_orders (note) VALUES ('x') RETURNING id");
        return { status: 201, body: { id: rows[0].id } };
      });
    const first = await write();
    const results = await Promise.all([write(), write(), write()]);
    expect(results.every((r) => r.replayed && r.body.id === first.body.id && r.status === 201)).toBe(true);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t_orders');
    expect(rows[0].n).toBe(1);
  });

  it('refuses the same key for a different request with CONFLICT', async () => {
    await runIdempotent(db, 'key-2', requestHash('POST', '/a', { v: 1 }), async () => ({ status: 200, body: {} }));
    await expect(runIdempotent(db, 'key-2', requestHash('POST', '/a', { v: 2 }), async () => ({ status: 200, body: {} }))).rejects.toMatchObject({
      code: 'CONFLICT',
    } satisfies Partial<AppError>);
  });
});
