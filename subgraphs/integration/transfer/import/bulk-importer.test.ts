import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEST_OWNER_ID, type TransferBackends, startTransferBackends } from '../test-support/transfer-backends';
import { runImport } from './bulk-importer';

let backends: TransferBackends;
let dir: string;

// Both reference backends start and seed here: a minute is not always enough on a shared machine.
beforeAll(async () => {
  backends = await startTransferBackends();
  dir = mkdtempSync(path.join(tmpdir(), 'import-test-'));
}, 240_000);

afterAll(async () => {
  await backends?.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
}

async function accountsByKey(): Promise<Map<string, { id: string; name: string; email: string | null; country: string | null; owner_id: string | null; erp_customer_no: string | null; version: number }>> {
  const { rows } = await backends.crmDb.query<{ import_key: string; id: string; name: string; email: string | null; country: string | null; owner_id: string | null; erp_customer_no: string | null; version: number }>(
    'SELECT import_key, id::text AS id, name, email, country, owner_id::text AS owner_id, erp_customer_no, version FROM accounts WHERE import_key IS NOT NULL',
  );
  return new Map(rows.map((r) => [r.import_key, r]));
}

async function outboxCount(db: TransferBackends['crmDb'], entity: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events WHERE entity = $1', [entity]);
  return rows[0].n;
}

const CUSTOMERS_CSV = [
  'key,name,email,industry,country,ownerId,creditLimit,paymentTerms',
  'SRC-1,Alpha Mechanics,info@alpha.example,Machinery,de,,25000.00,NET30',
  'SRC-2,,nobody@example.com,,FR,,,',
  'SRC-3,Gamma Retail,not-an-email,,FR,,,',
  'SRC-4,Delta Foods,delta@foods.example,Food,SE,' + TEST_OWNER_ID + ',,',
  'SRC-5,"Epsilon, Ltd",eps@example.com,,GB,,12.345,',
  'SRC-6,Zeta Tools,zeta@example.com,,DE,00000000-0000-4000-8000-000000000000,,',
  'SRC-7,Eta Too Few Columns',
  'SRC-8,Theta Logistics,,Logistics,NL,,,NET14',
].join('\n');

describe('bulk import of customers', () => {
  it('writes valid rows to the CRM, financials to the ERP, and refused rows with line and reason to the rejects file', async () => {
    const input = file('customers.csv', `${CUSTOMERS_CSV}\n`);
    const summary = await runImport(backends, { kind: 'customers', file: input, batchSize: 3 });

    expect(summary).toMatchObject({ read: 8, created: 3, updated: 0, unchanged: 0, rejected: 5, rejectsFile: `${input}.rejects.csv` });
    expect(readFileSync(`${input}.rejects.csv`, 'utf8')).toBe(
      [
        'line,reason,key,name,email,industry,country,ownerId,creditLimit,paymentTerms',
        '3,name: is required,SRC-2,,nobody@example.com,,FR,,,',
        '4,email: must be an email address,SRC-3,Gamma Retail,not-an-email,,FR,,,',
        '6,"creditLimit: must be a decimal such as ""1250.50"" (at most 2 decimals)",SRC-5,"Epsilon, Ltd",eps@example.com,,GB,,12.345,',
        '7,CRM: no user 00000000-0000-4000-8000-000000000000,SRC-6,Zeta Tools,zeta@example.com,,DE,00000000-0000-4000-8000-000000000000,,',
        '8,"expected 8 columns, found 2",SRC-7,Eta Too Few Columns',
        '',
      ].join('\n'),
    );

    const accounts = await accountsByKey();
    expect([...accounts.keys()].sort()).toEqual(['SRC-1', 'SRC-4', 'SRC-8']);
    expect(accounts.get('SRC-1')).toMatchObject({ name: 'Alpha Mechanics', email: 'info@alpha.example', country: 'DE', owner_id: null });
    expect(accounts.get('SRC-4')).toMatchObject({ name: 'Delta Foods', owner_id: TEST_OWNER_ID });

    // The ERP owns credit limit and payment terms: the rows that carry them reach the ERP customer of their account.
    const [alpha] = await backends.erp.findCustomersByExternalRefs([accounts.get('SRC-1')!.id]);
    expect(alpha).toMatchObject({ name: 'Alpha Mechanics', creditLimit: '25000.00', paymentTerms: 'NET30', country: 'DE', currency: 'EUR' });
    const [theta] = await backends.erp.findCustomersByExternalRefs([accounts.get('SRC-8')!.id]);
    expect(theta).toMatchObject({ name: 'Theta Logistics', creditLimit: null, paymentTerms: 'NET14' });
    // A row without ERP fields is left to the live sync.
    expect(await backends.erp.findCustomersByExternalRefs([accounts.get('SRC-4')!.id])).toEqual([]);
    // Every account created is announced, so the sync hears of it.
    expect(await outboxCount(backends.crmDb, 'account')).toBe(3);
  });

  it('re-imports the same file without duplicates or changes, and updates what a changed file changes', async () => {
    const input = path.join(dir, 'customers.csv');
    const before = await accountsByKey();
    const eventsBefore = await outboxCount(backends.crmDb, 'account');

    const again = await runImport(backends, { kind: 'customers', file: input, batchSize: 3 });
    expect(again).toMatchObject({ read: 8, created: 0, updated: 0, unchanged: 3, rejected: 5 });
    expect(await accountsByKey()).toEqual(before);
    expect(await outboxCount(backends.crmDb, 'account')).toBe(eventsBefore);

    const changed = file('customers.csv', `${CUSTOMERS_CSV.replace('info@alpha.example', 'sales@alpha.example').replace('25000.00,NET30', '30000.00,NET30')}\n`);
    const third = await runImport(backends, { kind: 'customers', file: changed, batchSize: 3 });
    expect(third).toMatchObject({ created: 0, updated: 1, unchanged: 2, rejected: 5 });
    const after = await accountsByKey();
    expect(after.size).toBe(3);
    expect(after.get('SRC-1')).toMatchObject({ id: before.get('SRC-1')!.id, email: 'sales@alpha.example', version: before.get('SRC-1')!.version + 1 });
    const [alpha] = await backends.erp.findCustomersByExternalRefs([after.get('SRC-1')!.id]);
    expect(alpha.creditLimit).toBe('30000.00');
    const { rows } = await backends.erpDb.query<{ n: number }>('SELECT count(*)::int AS n FROM customers');
    expect(rows[0].n).toBe(2);
  });

  it('reads NDJSON, refusing bad JSON and amounts given as JSON numbers, and lets the last row of a repeated key win', async () => {
    const input = file(
      'more-customers.ndjson',
      [
        JSON.stringify({ key: 'ND-1', name: 'Iota Energy', country: 'NO' }),
        '{"key": "ND-2", "name": ',
        JSON.stringify({ key: 'ND-3', name: 'Kappa Media', creditLimit: 5000.5 }),
        '',
        JSON.stringify({ key: 'ND-1', name: 'Iota Energy ASA', country: 'NO' }),
        JSON.stringify({ key: 'ND-4', name: 'Lambda Labs', nickname: 'L' }),
        '[1, 2]',
      ].join('\n'),
    );
    const summary = await runImport(backends, { kind: 'customers', file: input });
    expect(summary).toMatchObject({ read: 6, created: 1, updated: 1, unchanged: 0, rejected: 4, rejectsFile: `${input}.rejects.ndjson` });
    expect(readFileSync(`${input}.rejects.ndjson`, 'utf8')).toBe(
      [
        '{"line":2,"reason":"not valid JSON","raw":"{\\"key\\": \\"ND-2\\", \\"name\\": "}',
        '{"line":3,"reason":"creditLimit: must be a decimal string such as \\"1250.50\\"","row":{"key":"ND-3","name":"Kappa Media","creditLimit":5000.5}}',
        '{"line":6,"reason":"unknown column nickname","row":{"key":"ND-4","name":"Lambda Labs","nickname":"L"}}',
        '{"line":7,"reason":"must be a JSON object","raw":"[1, 2]"}',
        '',
      ].join('\n'),
    );
    const accounts = await accountsByKey();
    expect(accounts.get('ND-1')).toMatchObject({ name: 'Iota Energy ASA', country: 'NO' });
  });

  it('removes a stale rejects file when every row is accepted', async () => {
    const input = file('clean.csv', 'key,name\nCLEAN-1,Mu Motors\n');
    writeFileSync(`${input}.rejects.csv`, 'old');
    const summary = await runImport(backends, { kind: 'customers', file: input });
    expect(summary).toMatchObject({ read: 1, created: 1, rejected: 0, rejectsFile: null });
    expect(existsSync(`${input}.rejects.csv`)).toBe(false);
  });
});

describe('bulk import of products and opportunities', () => {
  it('upserts products by SKU in the ERP', async () => {
    const input = file('products.csv', 'sku,name,unitPrice,currency,manufactured\nIMP-1,Valve,12.50,EUR,true\nIMP-2,Seal,0.99,EUR,no\nIMP-3,Bad,abc,EUR,true\n');
    expect(await runImport(backends, { kind: 'products', file: input })).toMatchObject({ read: 3, created: 2, rejected: 1 });
    writeFileSync(input, 'sku,name,unitPrice,currency,manufactured\nIMP-1,Valve,13.00,EUR,true\nIMP-2,Seal,0.99,EUR,no\n');
    expect(await runImport(backends, { kind: 'products', file: input })).toMatchObject({ read: 2, created: 0, updated: 1, unchanged: 1, rejected: 0 });
    const products = await backends.erp.getProducts(['IMP-1', 'IMP-2']);
    expect(products.map((p) => [p.sku, p.name, p.unitPrice, p.manufactured])).toEqual([
      ['IMP-1', 'Valve', '13.00', true],
      ['IMP-2', 'Seal', '0.99', false],
    ]);
  });

  it('upserts opportunities by key under the account imported with the customer key', async () => {
    const input = file(
      'opportunities.ndjson',
      [
        JSON.stringify({ key: 'OPP-1', customerKey: 'SRC-1', name: 'Gearboxes 2027', currency: 'EUR', stage: 'PROPOSAL', lines: [{ sku: 'IMP-1', quantity: 10, unitPrice: '13.00' }] }),
        JSON.stringify({ key: 'OPP-2', customerKey: 'NOPE', name: 'Orphan', currency: 'EUR', sku: 'IMP-2', quantity: '5', unitPrice: '0.99' }),
        JSON.stringify({ key: 'OPP-3', customerKey: 'SRC-4', name: 'Seals', currency: 'EUR', sku: 'IMP-2', quantity: '100', unitPrice: '0.99' }),
      ].join('\n'),
    );
    const summary = await runImport(backends, { kind: 'opportunities', file: input });
    expect(summary).toMatchObject({ read: 3, created: 2, rejected: 1 });
    expect(readFileSync(`${input}.rejects.ndjson`, 'utf8')).toContain('"line":2,"reason":"CRM: no account imported under key NOPE"');
    const accounts = await accountsByKey();
    const [opportunity] = (await backends.crm.listOpportunitiesByAccounts([accounts.get('SRC-1')!.id], {}));
    expect(opportunity).toMatchObject({ name: 'Gearboxes 2027', stage: 'PROPOSAL', amount: '130.00', lines: [{ sku: 'IMP-1', quantity: 10, unitPrice: '13.00' }] });
    expect(await runImport(backends, { kind: 'opportunities', file: input })).toMatchObject({ created: 0, unchanged: 2, rejected: 1 });
  });
});
