import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Database, openDatabase } from './db';
import { migrate } from './migrate';
import { createScratchPostgres } from '../test-support/databases';
import { describeNeeding } from '../test-support/services';

// Two instances of a service starting together on one PostgreSQL database, as `npm run scale` and
// a Kubernetes rollout start them: each migration must run once, not once per instance.
describeNeeding(['postgres'], 'migrations of instances starting together on PostgreSQL', () => {
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  const opened: Database[] = [];

  beforeAll(async () => {
    scratch = await createScratchPostgres();
  });
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
    await scratch?.drop();
  });

  it('applies each migration once when two instances race on a fresh database', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'migrations-race-'));
    // Not idempotent on purpose: a second run of either file fails (the table exists, the key is taken).
    // The pause keeps the first instance inside its migration while the second one arrives.
    writeFileSync(path.join(folder, '001-create.sql'), 'CREATE TABLE sales_orders (number text PRIMARY KEY); SELECT pg_sleep(0.5);');
    writeFileSync(path.join(folder, '002-seed.sql'), "INSERT INTO sales_orders VALUES ('SO-1');");
    // Each instance opens its own pool on the same fresh database, schema included.
    const [first, second] = await Promise.all([0, 1].map(() => openDatabase({ service: 'race', databaseUrl: scratch.url, poolSize: 2 })));
    opened.push(first, second);

    const applied = await Promise.all([migrate(first, folder), migrate(second, folder)]);

    expect(applied.map((names) => names.length).sort()).toEqual([0, 2]);
    expect(applied.flat()).toEqual(['001-create.sql', '002-seed.sql']);
    const recorded = await first.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(recorded.rows.map((row) => row.name)).toEqual(['001-create.sql', '002-seed.sql']);
    const orders = await second.query<{ number: string }>('SELECT number FROM sales_orders');
    expect(orders.rows).toEqual([{ number: 'SO-1' }]);
  });

  it('lets the next instance migrate after one failed, and leaves the failed file unrecorded', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'migrations-failed-'));
    writeFileSync(path.join(folder, '001-broken.sql'), 'CREATE TABLE invoices (number text PRIMARY KEY); SELECT no_such_function();');
    const db = await openDatabase({ service: 'failing', databaseUrl: scratch.url, poolSize: 2 });
    opened.push(db);
    await expect(migrate(db, folder)).rejects.toThrow(/no_such_function/);

    writeFileSync(path.join(folder, '001-broken.sql'), 'CREATE TABLE invoices (number text PRIMARY KEY);');
    const other = await openDatabase({ service: 'failing', databaseUrl: scratch.url, poolSize: 2 });
    opened.push(other);
    // A lock left held would make this wait for ever; the test's timeout would say so.
    expect(await migrate(other, folder)).toEqual(['001-broken.sql']);
  });
});
