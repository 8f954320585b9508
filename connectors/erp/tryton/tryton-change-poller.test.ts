import type pg from 'pg';
import { type Database, openDatabase } from '../../../platform/db';
import { createLogger } from '../../../platform/logger';
import { TrytonChangeFeed } from './tryton-change-feed';
import { TrytonChangePoller, migrateTrytonChangeDatabase } from './tryton-change-poller';
import { TrytonErpConnector } from './tryton-erp.connector';
import { connectToTrytonDatabase, describeTryton, openTrytonTestDatabase, type TrytonTestDatabase } from './tryton-test-support';

jest.setTimeout(240_000);

interface RecordedEvent {
  event_id: string;
  entity: string;
  entity_id: string;
  version: number;
  action: string;
}

describeTryton('TrytonChangePoller against Tryton 6.0', () => {
  let tryton: TrytonTestDatabase;
  let erp: TrytonErpConnector;
  let outbox: Database;
  const logger = createLogger('tryton-change-poller-test', 'silent');

  const poller = (overlapMs = 5000, db = outbox) =>
    new TrytonChangePoller({ db, feed: new TrytonChangeFeed(erp.rpc, tryton.database), database: tryton.database, logger, intervalMs: 1000, overlapMs });

  async function openOutbox(): Promise<Database> {
    const db = await openDatabase({ service: 'tryton-changes-test' });
    await migrateTrytonChangeDatabase(db);
    return db;
  }

  async function events(db = outbox): Promise<RecordedEvent[]> {
    return (await db.query<RecordedEvent>('SELECT event_id, entity, entity_id, version, action FROM outbox_events ORDER BY seq')).rows;
  }

  async function partyId(code: string): Promise<number> {
    const [row] = await erp.rpc.searchRead<{ id: number }>('test', 'party.party', [['code', '=', code]], ['id']);
    return row.id;
  }

  beforeAll(async () => {
    tryton = await openTrytonTestDatabase();
    erp = new TrytonErpConnector({ url: tryton.url, database: tryton.database, login: tryton.settings.login, password: tryton.settings.password });
    outbox = await openOutbox();
  });

  afterAll(async () => {
    await outbox?.close();
    await erp?.close();
    await tryton?.dispose();
  });

  it('starts at the newest change (the records already there are not news), then reports each change once', async () => {
    const first = poller();
    expect(await first.pollOnce()).toBe(0);
    expect(first.hasBaseline()).toBe(true);
    expect(await events()).toEqual([]);

    const party = await erp.createCustomer({ name: 'Lima Pumps Sp. z o.o.', country: 'PL' });
    expect(await first.pollOnce()).toBe(1);
    expect(await events()).toEqual([expect.objectContaining({ entity: 'customer', entity_id: party.customerNo, version: party.version + 1, action: 'created' })]);
    // Read again inside the overlap window: the same change is the same event.
    expect(await first.pollOnce()).toBe(0);

    // A workflow in Tryton's own terms: an order confirmed is a sale, a shipment and their changes.
    const order = await erp.createSalesOrder({ customerNo: party.customerNo, lines: [{ sku: 'BOLT-1', quantity: 4 }] });
    await first.pollOnce();
    const [shipment] = await erp.listShipmentsBySalesOrders([order.id]);
    const entities = (await events()).map((e) => `${e.entity}:${e.entity_id}`);
    expect(entities).toEqual(expect.arrayContaining([`sales_order:${order.id}`, `shipment:${shipment.id}`]));

    // A price changed on the product template is a change of its product.
    const [product] = await erp.rpc.searchRead<{ template: number }>('test', 'product.product', [['code', '=', 'BOLT-1']], ['template']);
    await erp.rpc.model('test', 'product.template', 'write', [[product.template], { name: 'Bolt M8' }]);
    await first.pollOnce();
    expect((await events()).filter((e) => e.entity === 'product').map((e) => e.entity_id)).toContain('BOLT-1');
  });

  it('finds a write that commits after a poll that already saw later changes (the overlap window)', async () => {
    const current = poller(10_000);
    const bare = await openOutbox();
    const noOverlap = poller(0, bare);
    await current.pollOnce();
    await noOverlap.pollOnce();
    const slow = await erp.createCustomer({ name: 'Mike Metals SA' });
    const quick = await erp.createCustomer({ name: 'November Cables Ltd' });
    const slowId = await partyId(slow.customerNo);
    await current.pollOnce();
    await noOverlap.pollOnce();

    // Tryton stamps a write with its transaction's start: a write that takes a while commits with a
    // time before changes other transactions committed meanwhile. This session is that slow write.
    const sql: pg.Client = await connectToTrytonDatabase(tryton);
    try {
      await sql.query('BEGIN');
      await sql.query('UPDATE party_party SET name = $1, write_date = CURRENT_TIMESTAMP WHERE id = $2', ['Mike Metals SA (slow)', slowId]);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      await erp.updateCustomer(quick.customerNo, { name: 'November Cables Group' });
      // Both pollers see the quick write and move past the slow one's time while it is uncommitted.
      await current.pollOnce();
      await noOverlap.pollOnce();
      await sql.query('COMMIT');
    } finally {
      await sql.end();
    }
    await current.pollOnce();
    await noOverlap.pollOnce();

    const renamed = (await erp.getCustomers([slow.customerNo]))[0];
    expect(renamed.name).toBe('Mike Metals SA (slow)');
    const seen = (await events()).filter((e) => e.entity_id === slow.customerNo).map((e) => [e.action, e.version]);
    expect(seen).toEqual([
      ['created', slow.version + 1],
      ['updated', renamed.version + 1],
    ]);
    // Without the overlap the slow write is lost: what the window is for.
    const missed = (await events(bare)).filter((e) => e.entity_id === slow.customerNo).map((e) => e.action);
    await bare.close();
    expect(missed).toEqual(['created']);
  });

  it('resumes from its stored cursor after a restart: nothing replayed, nothing missed', async () => {
    const before = poller();
    await before.pollOnce();
    const recorded = (await events()).length;
    // Stopped: a change happens while no poller runs.
    const party = await erp.createCustomer({ name: 'Oscar Optics AG' });
    const restarted = poller();
    expect(await restarted.pollOnce()).toBe(1);
    const after = await events();
    expect(after).toHaveLength(recorded + 1);
    expect(after[after.length - 1]).toMatchObject({ entity: 'customer', entity_id: party.customerNo });
    expect(await restarted.pollOnce()).toBe(0);
  });
});
