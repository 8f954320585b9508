import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase } from './db';
import { decodeChangeEvents } from './change-event-wire';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import { type ChangeEvent, OUTBOX_TABLE_SQL, OutboxDispatcher, recordChange, withBatchedChanges } from './outbox';

function receiver(port = 0): Promise<{ server: Server; url: string; events: ChangeEvent[]; deliveries: number }> {
  const events: ChangeEvent[] = [];
  const state = { deliveries: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      state.deliveries++;
      events.push(...decodeChangeEvents(body, 'erp'));
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
        events,
        get deliveries() {
          return state.deliveries;
        },
      }),
    ),
  );
}

describe('outbox dispatcher', () => {
  it('keeps delivering to a live subscriber while another is down, and the other catches up in order', async () => {
    const db = await openDatabase({ service: 'outbox-test' });
    await db.exec(OUTBOX_TABLE_SQL);
    const live = await receiver();
    const down = await receiver();
    const downPort = (down.server.address() as AddressInfo).port;
    await new Promise((resolve) => down.server.close(resolve));
    const metrics = createMetrics('outbox-test');
    const dispatcher = new OutboxDispatcher({ db, source: 'erp', targets: [live.url, down.url], secret: 'outbox-test-secret-0123', logger: createLogger('t', 'silent'), metrics });
    const perSubscriber = async (name: string) => {
      const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
      return Object.fromEntries((metric?.values ?? []).map((v) => [v.labels.subscriber, v.value]));
    };
    try {
      for (let version = 1; version <= 3; version++) {
        await db.transaction((tx) => recordChange(tx, { entity: 'customer', entityId: 'K-10001', version, action: 'updated' }));
      }
      await dispatcher.deliverDue();
      expect(live.events.map((e) => e.version)).toEqual([1, 2, 3]);
      // One signed POST carries the batch.
      expect(live.deliveries).toBe(1);
      const pending = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events WHERE delivered_at IS NULL');
      expect(pending.rows[0].n).toBe(3);
      // What an operator sees: the down subscriber's backlog and failed attempts, the live one's none.
      expect(await perSubscriber('webhook_delivery_backlog')).toEqual({ [live.url]: 0, [down.url]: 3 });
      expect(await perSubscriber('webhook_delivery_failed_attempts')).toEqual({ [live.url]: 0, [down.url]: 1 });

      const back = await receiver(downPort);
      // The failed subscriber waits out its backoff (a quarter second after one failure).
      await new Promise((resolve) => setTimeout(resolve, 300));
      await dispatcher.deliverDue();
      expect(back.events.map((e) => e.version)).toEqual([1, 2, 3]);
      expect(live.events).toHaveLength(3);
      const done = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events WHERE delivered_at IS NULL');
      expect(done.rows[0].n).toBe(0);
      expect(await perSubscriber('webhook_delivery_backlog')).toEqual({ [live.url]: 0, [down.url]: 0 });
      back.server.close();
    } finally {
      live.server.close();
      await db.close();
    }
  });

  it('on an embedded database, looks for due events after a change (or every idleCheckMs) instead of every interval, and still delivers each new event promptly', async () => {
    const db = await openDatabase({ service: 'outbox-test' });
    await db.exec(OUTBOX_TABLE_SQL);
    const live = await receiver();
    const dispatcher = new OutboxDispatcher({ db, source: 'erp', targets: [live.url], secret: 'outbox-test-secret-0123', logger: createLogger('t', 'silent'), intervalMs: 10, idleCheckMs: 60_000 });
    let passes = 0;
    const deliverDue = dispatcher.deliverDue.bind(dispatcher);
    dispatcher.deliverDue = () => {
      passes++;
      return deliverDue();
    };
    const waitFor = async (done: () => boolean) => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    try {
      dispatcher.start();
      await waitFor(() => passes >= 2);
      const quiet = passes;
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Nothing written: at most the pass that was already under way, not one every 10 ms.
      expect(passes - quiet).toBeLessThanOrEqual(1);
      await db.transaction((tx) => recordChange(tx, { entity: 'customer', entityId: 'K-10001', version: 1, action: 'updated' }));
      await waitFor(() => live.events.length === 1);
      expect(live.events.map((e) => e.version)).toEqual([1]);
    } finally {
      await dispatcher.stop();
      live.server.close();
      await db.close();
    }
  });

  it('sends at most a batch per delivery and the rest in the next, oldest first', async () => {
    const db = await openDatabase({ service: 'outbox-test' });
    await db.exec(OUTBOX_TABLE_SQL);
    const live = await receiver();
    const dispatcher = new OutboxDispatcher({ db, source: 'erp', targets: [live.url], secret: 'outbox-test-secret-0123', logger: createLogger('t', 'silent'), batchSize: 2 });
    try {
      for (let version = 1; version <= 5; version++) {
        await db.transaction((tx) => recordChange(tx, { entity: 'customer', entityId: 'K-10002', version, action: 'updated' }));
      }
      const counts = [await dispatcher.deliverDue(), await dispatcher.deliverDue(), await dispatcher.deliverDue(), await dispatcher.deliverDue()];
      expect(counts).toEqual([2, 2, 1, 0]);
      expect(live.events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
      expect(live.deliveries).toBe(3);
    } finally {
      live.server.close();
      await db.close();
    }
  });

  it('writes the changes of a batched write at its end, in one statement, in the order recorded', async () => {
    const db = await openDatabase({ service: 'outbox-test' });
    await db.exec(OUTBOX_TABLE_SQL);
    try {
      const seenInside = await db.transaction((tx) =>
        withBatchedChanges(tx, async (inner) => {
          for (const entityId of ['SO-1', 'K-1', 'SO-2']) await recordChange(inner, { entity: 'sales_order', entityId, version: 1, action: 'created' });
          return (await inner.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events')).rows[0].n;
        }),
      );
      expect(seenInside).toBe(0);
      const rows = await db.query<{ entity_id: string }>('SELECT entity_id FROM outbox_events ORDER BY seq');
      expect(rows.rows.map((r) => r.entity_id)).toEqual(['SO-1', 'K-1', 'SO-2']);

      // A write that fails records nothing.
      await expect(
        db.transaction((tx) =>
          withBatchedChanges(tx, async (inner) => {
            await recordChange(inner, { entity: 'sales_order', entityId: 'SO-3', version: 1, action: 'created' });
            throw new Error('the write failed');
          }),
        ),
      ).rejects.toThrow('the write failed');
      expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events')).rows[0].n).toBe(3);
    } finally {
      await db.close();
    }
  });
});
