import { AppError } from '../platform/errors';
import { type TransferBackends, startTransferBackends } from '../subgraphs/integration/transfer/test-support/transfer-backends';

let backends: TransferBackends;

beforeAll(async () => {
  backends = await startTransferBackends();
});

afterAll(() => backends.close());

async function events(db: TransferBackends['crmDb'], entity: string): Promise<{ entity_id: string; version: number; action: string }[]> {
  return (await db.query<{ entity_id: string; version: number; action: string }>('SELECT entity_id, version, action FROM outbox_events WHERE entity = $1 ORDER BY seq', [entity])).rows;
}

describe('bulk upserts through the HTTP connectors', () => {
  it('answers each account in row order, refusing a bad row without sinking the others, and announces each change', async () => {
    const results = await backends.crm.upsertAccounts([
      { importKey: 'A-1', name: 'Nu Networks', country: 'DE' },
      { importKey: 'A-2', name: '', country: 'DE' },
      { importKey: 'A-3', name: 'Xi Exports', email: 'xi@exports.example' },
    ]);
    expect(results.map((r) => [r.key, r.outcome, r.error?.field ?? null])).toEqual([
      ['A-1', 'created', null],
      ['A-2', 'rejected', 'name'],
      ['A-3', 'created', null],
    ]);
    const again = await backends.crm.upsertAccounts([
      { importKey: 'A-1', name: 'Nu Networks', country: 'DE' },
      { importKey: 'A-3', name: 'Xi Exports AG', email: 'xi@exports.example' },
    ]);
    expect(again.map((r) => [r.key, r.outcome, r.id])).toEqual([
      ['A-1', 'unchanged', results[0].id],
      ['A-3', 'updated', results[2].id],
    ]);
    expect(await events(backends.crmDb, 'account')).toEqual([
      { entity_id: results[0].id, version: 1, action: 'created' },
      { entity_id: results[2].id, version: 1, action: 'created' },
      { entity_id: results[2].id, version: 2, action: 'updated' },
    ]);
  });

  it('refuses a call of more than 500 rows, and replays a call repeated with its idempotency key', async () => {
    const tooMany = Array.from({ length: 501 }, (_, i) => ({ importKey: `B-${i}`, name: `Omega ${i}` }));
    await expect(backends.crm.upsertAccounts(tooMany)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    const first = await backends.crm.upsertAccounts([{ importKey: 'B-1', name: 'Omega One' }], 'bulk-test-key');
    const replay = await backends.crm.upsertAccounts([{ importKey: 'B-1', name: 'Omega One' }], 'bulk-test-key');
    expect(replay).toEqual(first);
    expect(first[0].outcome).toBe('created');
    const conflict = await backends.crm.upsertAccounts([{ importKey: 'B-1', name: 'Omega Uno' }], 'bulk-test-key').catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(AppError);
    expect((conflict as AppError).code).toBe('CONFLICT');
  });

  it('creates an ERP customer for an account once, then changes only the fields the ERP owns', async () => {
    const [created] = await backends.erp.upsertCustomersByExternalRef([{ externalRef: 'acc-1', name: 'Pi Pumps', country: 'DE', creditLimit: '1000.00', paymentTerms: 'NET30' }]);
    expect(created).toMatchObject({ key: 'acc-1', outcome: 'created', id: expect.stringMatching(/^K-\d+$/) });
    const [updated] = await backends.erp.upsertCustomersByExternalRef([{ externalRef: 'acc-1', name: 'Renamed Elsewhere', creditLimit: '2000.00' }]);
    expect(updated).toEqual({ key: 'acc-1', outcome: 'updated', id: created.id });
    const [customer] = await backends.erp.getCustomers([created.id!]);
    expect(customer).toMatchObject({ name: 'Pi Pumps', creditLimit: '2000.00', paymentTerms: 'NET30', externalRef: 'acc-1' });
    const [bad] = await backends.erp.upsertCustomersByExternalRef([{ externalRef: 'acc-2', name: 'Rho', paymentTerms: '30 days' }]);
    expect(bad).toMatchObject({ outcome: 'rejected', error: { code: 'BAD_USER_INPUT', field: 'paymentTerms' } });
    expect((await events(backends.erpDb, 'customer')).map((e) => [e.entity_id, e.version, e.action])).toEqual([
      [created.id, 1, 'created'],
      [created.id, 2, 'updated'],
    ]);
  });
});
