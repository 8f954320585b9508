import { InMemoryErpConnector } from '../erp/test-support/in-memory-erp.connector';
import { AppError, ErrorCode } from '../../platform/errors';
import { type ConnectorCall, ConnectorFaults } from './connector-faults';

function setUp() {
  const journal: ConnectorCall[] = [];
  const erp = new InMemoryErpConnector();
  const faults = new ConnectorFaults<keyof InMemoryErpConnector>('erp', journal);
  return { erp, faults, connector: faults.wrap(erp), journal };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    return error as AppError;
  }
  throw new Error('the call succeeded');
}

describe('ConnectorFaults', () => {
  it('fails a call before it reaches the connector, as an unreachable backend, then lets the next through', async () => {
    const { erp, faults, connector } = setUp();
    faults.failNext('createCustomer');

    const error = await failure(connector.createCustomer({ name: 'Hansen' }, 'key-1'));
    expect(error).toMatchObject({ code: ErrorCode.UPSTREAM_UNAVAILABLE, message: 'erp is unavailable (createCustomer)', details: { system: 'erp', operation: 'createCustomer' } });
    expect(erp.customers.size).toBe(0);

    await connector.createCustomer({ name: 'Hansen' }, 'key-1');
    expect(erp.customers.size).toBe(1);
  });

  it('loses the answer of a write that took effect, and a retry with the same key returns the first result', async () => {
    const { erp, faults, connector } = setUp();
    faults.failNext('createCustomer', { afterApply: true });

    const lost = await failure(connector.createCustomer({ name: 'Hansen' }, 'key-1'));
    expect(lost).toMatchObject({ code: ErrorCode.UPSTREAM_UNAVAILABLE, message: 'erp answer was lost (createCustomer)', details: { system: 'erp', operation: 'createCustomer' } });
    expect(erp.customers.size).toBe(1);

    const retried = await connector.createCustomer({ name: 'Hansen' }, 'key-1');
    expect([...erp.customers.keys()]).toEqual([retried.customerNo]);
  });

  it('fails the planned number of calls with the planned error, in the order planned', async () => {
    const { faults, connector } = setUp();
    faults.failNext('listWarehouses', { times: 2 });
    faults.failNext('listWarehouses', { error: () => new AppError(ErrorCode.FORBIDDEN, 'no') });

    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await connector.listWarehouses().then(() => 'answered', (error: AppError) => error.code));
    expect(codes).toEqual([ErrorCode.UPSTREAM_UNAVAILABLE, ErrorCode.UPSTREAM_UNAVAILABLE, ErrorCode.FORBIDDEN, 'answered']);
  });

  it('fails every call while down and until cleared, and clear() brings the backend back', async () => {
    const { faults, connector } = setUp();
    faults.down = true;
    faults.failNext('getCustomers', { times: Infinity });
    expect((await failure(connector.listWarehouses())).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);

    faults.down = false;
    for (let i = 0; i < 3; i++) expect((await failure(connector.getCustomers(['K-1']))).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    faults.clear();
    expect(await connector.getCustomers(['K-1'])).toEqual([]);
  });

  it('leaves a call it hangs unanswered and the connector untouched', async () => {
    const { erp, faults, connector } = setUp();
    faults.hangNext('createCustomer');
    const outcome = await Promise.race([connector.createCustomer({ name: 'Hansen' }).then(() => 'answered'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 50))]);
    expect(outcome).toBe('still waiting');
    expect(erp.customers.size).toBe(0);
  });

  it('journals every call with the idempotency key of a keyed write, here and in the shared journal', async () => {
    const { faults, connector, journal } = setUp();
    await connector.getCustomers(['K-10001']);
    const created = await connector.createCustomer({ name: 'Hansen' }, 'key-1');
    await connector.updateCustomer(created.customerNo, { email: 'a@hansen.example' });
    await connector.updateCustomer(created.customerNo, { email: 'b@hansen.example' }, 'key-2');

    const expected = [
      { system: 'erp', operation: 'getCustomers' },
      { system: 'erp', operation: 'createCustomer', idempotencyKey: 'key-1' },
      { system: 'erp', operation: 'updateCustomer' },
      { system: 'erp', operation: 'updateCustomer', idempotencyKey: 'key-2' },
    ];
    expect(faults.calls).toEqual(expected);
    expect(journal).toEqual(expected);
    expect(faults.callCounts()).toEqual({ getCustomers: 1, createCustomer: 1, updateCustomer: 2 });
    expect(faults.callsOf('updateCustomer')).toHaveLength(2);
  });
});
