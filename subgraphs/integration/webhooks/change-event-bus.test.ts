import { createLogger } from '../../../platform/logger';
import type { ChangeEvent } from '../../../platform/outbox';
import { ChangeEventBus } from './change-event-bus';

const event = (overrides: Partial<ChangeEvent>): ChangeEvent => ({
  eventId: '00000000-0000-4000-8000-000000000001',
  source: 'erp',
  entity: 'shipment',
  entityId: 'SH-70001',
  version: 2,
  action: 'updated',
  occurredAt: '2026-11-29T10:00:00.000Z',
  ...overrides,
});

describe('change event bus', () => {
  it('hands an event only to the subscribers of its source and entity', async () => {
    const bus = new ChangeEventBus(createLogger('test', 'silent'));
    const shipments: string[] = [];
    const accounts: string[] = [];
    const calls: number[] = [];
    bus.subscribe('erp', ['shipment', 'invoice'], async (events) => {
      calls.push(events.length);
      shipments.push(...events.map((e) => e.entityId));
    });
    bus.subscribe('crm', ['account'], async (events) => void accounts.push(...events.map((e) => e.entityId)));

    await bus.publish([event({}), event({ entity: 'customer', entityId: 'K-10001' }), event({ entity: 'invoice', entityId: 'INV-1' })]);
    await bus.publish([event({ entity: 'customer', entityId: 'K-10002' })]);
    await bus.publish([event({ source: 'crm', entity: 'account', entityId: 'a-1' })]);

    // One call per delivery with the events it cares about, in order; none when it cares about none.
    expect(calls).toEqual([2]);
    expect(shipments).toEqual(['SH-70001', 'INV-1']);
    expect(accounts).toEqual(['a-1']);
  });

  it('keeps delivering to the others when one subscriber fails', async () => {
    const bus = new ChangeEventBus(createLogger('test', 'silent'));
    const seen: string[] = [];
    bus.subscribe('erp', ['shipment'], async () => {
      throw new Error('flow store down');
    });
    bus.subscribe('erp', ['shipment'], async (events) => void seen.push(...events.map((e) => e.entityId)));

    await expect(bus.publish([event({})])).resolves.toBeUndefined();
    expect(seen).toEqual(['SH-70001']);
  });
});
