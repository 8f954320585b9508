import path from 'node:path';
import type { Database } from '../../../platform/db';
import { migrate } from '../../../platform/migrate';
import { DATABASE_KINDS, openTestDatabase } from '../../../test-support/databases';
import { describeOn } from '../../../test-support/services';
import { CustomerLinkRepository } from './customer-link.repository';

const ACCOUNT_A = '0b6c7f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2a';
const ACCOUNT_B = '1c7d8e6f-4b3e-4d2c-8f9a-8b7c6d5e4f3b';

describeOn(DATABASE_KINDS, 'customer links looked up by any key, integration database on %s', (kind) => {
  let db: Database;
  let dispose: () => Promise<void> = async () => {};
  let links: CustomerLinkRepository;

  beforeAll(async () => {
    ({ db, dispose } = await openTestDatabase(kind, 'integration'));
    await migrate(db, path.resolve(__dirname, '../migrations'));
    links = new CustomerLinkRepository(db);
    await links.insertMany([
      { id: `crm:${ACCOUNT_A}`, crmAccountId: ACCOUNT_A, erpCustomerNo: 'K-1', syncState: 'IN_SYNC', lastSyncedAt: null },
      { id: `crm:${ACCOUNT_B}`, crmAccountId: ACCOUNT_B, erpCustomerNo: null, syncState: 'PENDING', lastSyncedAt: null },
      { id: 'erp:K-2', crmAccountId: null, erpCustomerNo: 'K-2', syncState: 'PENDING', lastSyncedAt: null },
    ]);
  }, 60_000);

  afterAll(() => dispose());

  const idsOf = async (keys: Parameters<CustomerLinkRepository['findByKeys']>[0]) => (await links.findByKeys(keys)).map((link) => link.id);

  it('finds links by API id, by CRM account (any case) and by ERP number, each key alone', async () => {
    expect(await idsOf({ ids: ['erp:K-2'] })).toEqual(['erp:K-2']);
    expect(await idsOf({ crmAccountIds: [ACCOUNT_B.toUpperCase()] })).toEqual([`crm:${ACCOUNT_B}`]);
    expect(await idsOf({ erpCustomerNos: ['K-1'] })).toEqual([`crm:${ACCOUNT_A}`]);
  });

  it('answers every link that any of several keys matches, once each, ordered by id', async () => {
    expect(await idsOf({ ids: [`crm:${ACCOUNT_A}`], crmAccountIds: [ACCOUNT_A, ACCOUNT_B], erpCustomerNos: ['K-1', 'K-2', 'K-404'] })).toEqual([`crm:${ACCOUNT_A}`, `crm:${ACCOUNT_B}`, 'erp:K-2']);
    expect(await idsOf({ crmAccountIds: [ACCOUNT_B], erpCustomerNos: ['K-2'] })).toEqual([`crm:${ACCOUNT_B}`, 'erp:K-2']);
  });

  it('matches nothing, without a query error, for no keys, unknown keys or a CRM id that is not a UUID', async () => {
    expect(await idsOf({})).toEqual([]);
    expect(await idsOf({ ids: [], crmAccountIds: [], erpCustomerNos: [] })).toEqual([]);
    expect(await idsOf({ ids: ['crm:nobody'], erpCustomerNos: ['K-404'] })).toEqual([]);
    expect(await idsOf({ crmAccountIds: ['not-a-uuid'] })).toEqual([]);
    expect(await idsOf({ crmAccountIds: ['not-a-uuid'], erpCustomerNos: ['K-2'] })).toEqual(['erp:K-2']);
  });
});
