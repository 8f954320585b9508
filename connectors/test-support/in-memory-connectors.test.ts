import { InMemoryCrmConnector } from '../crm/test-support/in-memory-crm.connector';
import { InMemoryErpConnector } from '../erp/test-support/in-memory-erp.connector';
import type { ErpConnector, ErpSalesOrder } from '../erp/erp.connector';
import { ErrorCode } from '../../platform/errors';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'answered',
    (error: { code: string }) => error.code,
  );
}

function salesOrder(id: string, createdAt: string): ErpSalesOrder {
  return { id, number: id, customerNo: 'K-10001', status: 'CONFIRMED', currency: 'EUR', total: '1.00', externalRef: null, lines: [], version: 1, createdAt, updatedAt: createdAt };
}

describe('the in-memory ERP and CRM keep the reference backends\' promises', () => {
  it('answers a batch read with the rows found, each once, omitting unknown ids', async () => {
    const erp = new InMemoryErpConnector();
    const known = erp.seedCustomer({ name: 'Hansen' });
    expect((await erp.getCustomers([known.customerNo, 'K-404', known.customerNo])).map((c) => c.customerNo)).toEqual([known.customerNo]);
  });

  it('pages by key with cursors that neither skip nor repeat a row added between pages', async () => {
    const erp = new InMemoryErpConnector();
    for (const name of ['A', 'B', 'C', 'D']) erp.seedCustomer({ name });
    const first = await erp.listCustomers({ first: 2 });
    expect(first.items.map((c) => c.customerNo)).toEqual(['K-10001', 'K-10002']);
    expect(first.totalCount).toBe(4);
    erp.seedCustomer({ name: 'E' });
    const second = await erp.listCustomers({ first: 2, after: first.nextCursor });
    const third = await erp.listCustomers({ first: 2, after: second.nextCursor });
    expect([...second.items, ...third.items].map((c) => c.customerNo)).toEqual(['K-10003', 'K-10004', 'K-10005']);
    expect(third.nextCursor).toBeNull();
  });

  it('lists sales orders newest first, and rows changed since an instant by change time', async () => {
    const erp = new InMemoryErpConnector({
      salesOrders: [salesOrder('SO-1', '2026-01-01T00:00:00.000Z'), salesOrder('SO-2', '2026-01-03T00:00:00.000Z'), salesOrder('SO-3', '2026-01-02T00:00:00.000Z')],
    });
    expect((await erp.listSalesOrders({})).items.map((o) => o.id)).toEqual(['SO-2', 'SO-3', 'SO-1']);
    expect((await erp.listSalesOrders({ updatedSince: '2026-01-02T00:00:00.000Z' })).items.map((o) => o.id)).toEqual(['SO-3', 'SO-2']);
  });

  it('refuses a cursor that is not one of the list\'s with BAD_USER_INPUT on after', async () => {
    const crm = new InMemoryCrmConnector();
    await expect(crm.listAccounts({ after: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ code: ErrorCode.BAD_USER_INPUT, details: { field: 'after' } });
  });

  it('replays the first answer for a repeated key and refuses the key with another request; a failed write stores nothing', async () => {
    const erp = new InMemoryErpConnector();
    const first = await erp.createCustomer({ name: 'Hansen' }, 'key-1');
    const again = await erp.createCustomer({ name: 'Hansen' }, 'key-1');
    expect(again).toEqual(first);
    expect(erp.customers.size).toBe(1);
    expect(await codeOf(erp.createCustomer({ name: 'Olsen' }, 'key-1'))).toBe(ErrorCode.CONFLICT);

    // Refused before K-10002 exists; the same request under the same key runs again once it does.
    expect(await codeOf(erp.updateCustomer('K-10002', { email: 'ap@olsen.example' }, 'key-2'))).toBe(ErrorCode.NOT_FOUND);
    await erp.createCustomer({ name: 'Olsen' });
    expect(await erp.updateCustomer('K-10002', { email: 'ap@olsen.example' }, 'key-2')).toMatchObject({ customerNo: 'K-10002', email: 'ap@olsen.example', version: 2 });
  });

  it('links a CRM account to one ERP customer and an ERP customer to one account', async () => {
    const erp = new InMemoryErpConnector();
    const crm = new InMemoryCrmConnector();
    const account = await crm.createAccount({ name: 'Hansen', erpCustomerNo: 'K-10001' });
    await erp.createCustomer({ name: 'Hansen', externalRef: account.id });

    expect(await codeOf(erp.createCustomer({ name: 'Hansen again', externalRef: account.id }))).toBe(ErrorCode.CONFLICT);
    expect(await codeOf(crm.createAccount({ name: 'Hansen again', erpCustomerNo: 'K-10001' }))).toBe(ErrorCode.CONFLICT);
  });

  it('leaves a CRM record\'s version alone when a patch changes nothing, and announces each change', async () => {
    const crm = new InMemoryCrmConnector();
    const changes: { entityId: string; version: number }[] = [];
    const account = await crm.createAccount({ name: 'Hansen' });
    crm.onChange = (change) => changes.push({ entityId: change.entityId, version: change.version });

    expect((await crm.updateAccount(account.id, { name: 'Hansen' })).version).toBe(1);
    expect((await crm.updateAccount(account.id, { name: 'Hansen A/S' })).version).toBe(2);
    expect(changes).toEqual([{ entityId: account.id, version: 2 }]);
  });

  it('refuses an owner who is not a user of the CRM, naming ownerId', async () => {
    const crm = new InMemoryCrmConnector({ users: [{ id: 'u-1', name: 'Ada', email: 'ada@crm.example' }] });
    expect((await crm.createAccount({ name: 'Hansen', ownerId: 'u-1' })).ownerId).toBe('u-1');
    await expect(crm.createAccount({ name: 'Olsen', ownerId: 'u-404' })).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND, details: { field: 'ownerId' } });
  });

  it('refuses a second sales order for an opportunity that already became one', async () => {
    const crm = new InMemoryCrmConnector();
    const account = crm.seedAccount({ name: 'Hansen' });
    const opportunity = await crm.createOpportunity({ accountId: account.id, name: 'Pumps', currency: 'EUR', lines: [{ sku: 'P-1', quantity: 3, unitPrice: '0.10' }] });
    expect(opportunity.amount).toBe('0.30');
    await crm.updateOpportunity(opportunity.id, { erpSalesOrderId: 'SO-1' });
    expect(await codeOf(crm.updateOpportunity(opportunity.id, { erpSalesOrderId: 'SO-2' }))).toBe(ErrorCode.CONFLICT);
  });

  it('answers NOT_IMPLEMENTED for the ERP writes whose rules only the reference backend has', async () => {
    const erp: ErpConnector = new InMemoryErpConnector();
    expect(await codeOf(erp.createSalesOrder({ customerNo: 'K-10001', lines: [{ sku: 'P-1', quantity: 1 }] }))).toBe(ErrorCode.NOT_IMPLEMENTED);
  });
});
