import { crmFixture, fixtureId } from '../../backends/crm/crm-fixtures';
import { seedCrm } from '../../backends/crm/seed';
import { type CrmBackend, createCrmBackend, prepareCrmDatabase } from '../../backends/crm/server';
import { type Database, openDatabase } from '../../platform/db';
import { AppError } from '../../platform/errors';
import { listen } from '../../platform/http-server';
import { type ServiceMetrics, createMetrics } from '../../platform/metrics';
import { serviceTokenSigner } from '../../platform/service-auth';
import { HttpCrmConnector } from './http-crm.connector';

const INTERNAL_SECRET = 'internal-secret-for-tests-0123456789';
const ACME = fixtureId(2, 1);
const BOREALIS = fixtureId(2, 2);
const COBALT = fixtureId(2, 3);

let db: Database;
let backend: CrmBackend;
let baseUrl: string;
let metrics: ServiceMetrics;
let crm: HttpCrmConnector;

beforeAll(async () => {
  db = await openDatabase({ service: 'crm', dataDir: undefined });
  await prepareCrmDatabase(db);
  await seedCrm(db, crmFixture);
  backend = createCrmBackend({ db, internalSecret: INTERNAL_SECRET, webhookSecret: 'webhook-secret-for-tests-0123456789' });
  baseUrl = `http://127.0.0.1:${await listen(backend.app, 0)}`;
});

beforeEach(() => {
  metrics = createMetrics('crm-connector-test');
  crm = new HttpCrmConnector({ baseUrl, serviceToken: serviceTokenSigner(INTERNAL_SECRET, 'crm-subgraph'), metrics });
});

afterEach(() => crm.close());

afterAll(async () => {
  await backend.close();
  await db.close();
});

/** connector_requests_total{system="crm",operation} as /metrics would show it. */
async function calls(operation: string): Promise<number> {
  const metric = await metrics.connectorRequests.get();
  return metric.values.find((v) => v.labels.system === 'crm' && v.labels.operation === operation)?.value ?? 0;
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('HttpCrmConnector reads', () => {
  it('reads several accounts in one call', async () => {
    const accounts = await crm.getAccounts([ACME, BOREALIS, fixtureId(2, 77)]);
    expect(accounts.map((a) => [a.name, a.erpCustomerNo]).sort()).toEqual([
      ['Acme Tools', 'K-10001'],
      ['Borealis Foods', 'K-10002'],
    ]);
    expect(await calls('getAccounts')).toBe(1);
  });

  it('answers an empty batch without calling the CRM', async () => {
    expect(await crm.getAccounts([])).toEqual([]);
    expect(await crm.listActivitiesByAccounts([], { last: 5 })).toEqual([]);
    expect(await calls('getAccounts')).toBe(0);
    expect(await calls('listActivitiesByAccounts')).toBe(0);
  });

  it('splits a long id list into chunks and joins the answers', async () => {
    const chunked = new HttpCrmConnector({ baseUrl, serviceToken: serviceTokenSigner(INTERNAL_SECRET, 'crm-subgraph'), metrics, batchSize: 2 });
    try {
      const ids = [1, 2, 3, 4, 5].map((n) => fixtureId(2, n));
      const accounts = await chunked.getAccounts([...ids, ids[0]]);
      expect(accounts.map((a) => a.id).sort()).toEqual(ids);
      expect(await calls('getAccounts')).toBe(3);
    } finally {
      await chunked.close();
    }
  });

  it('finds accounts by ERP customer number and their owners', async () => {
    const [account] = await crm.findAccountsByErpCustomerNos(['K-10002']);
    expect(account.id).toBe(BOREALIS);
    const users = await crm.getUsers([account.ownerId!]);
    expect(users).toEqual([{ id: fixtureId(1, 2), name: 'Bo Owner', email: 'bo@crm.example' }]);
  });

  it("lists accounts' contacts, opportunities, activities and cases in one call each", async () => {
    const contacts = await crm.listContactsByAccounts([ACME, BOREALIS]);
    expect(contacts).toHaveLength(4);
    const won = await crm.listOpportunitiesByAccounts([ACME, BOREALIS, COBALT], { stage: 'CLOSED_WON' });
    expect(won.map((o) => o.erpSalesOrderId).sort()).toEqual(['SO-20001', 'SO-20002', 'SO-20003']);
    expect(won[0].amount).toBe('60.07');
    const activities = await crm.listActivitiesByAccounts([ACME, BOREALIS], { last: 3 });
    expect(activities.filter((a) => a.accountId === ACME).map((a) => a.type)).toEqual(['CALL', 'SYSTEM', 'NOTE']);
    const openCases = await crm.listCasesByAccounts([ACME, BOREALIS], { status: 'OPEN' });
    expect(openCases.map((c) => c.subject)).toEqual(['Late delivery']);
    for (const operation of ['listContactsByAccounts', 'listOpportunitiesByAccounts', 'listActivitiesByAccounts', 'listCasesByAccounts']) {
      expect(await calls(operation)).toBe(1);
    }
  });

  it('finds the opportunity a sales order came from', async () => {
    const [opportunity] = await crm.findOpportunitiesBySalesOrders(['SO-20003', 'SO-00000']);
    expect(opportunity).toMatchObject({ accountId: COBALT, stage: 'CLOSED_WON', amount: '60.07' });
    expect(opportunity.lines).toEqual([
      { sku: 'SKU-001', quantity: 3, unitPrice: '19.99' },
      { sku: 'SKU-002', quantity: 1, unitPrice: '0.10' },
    ]);
    const [again] = await crm.getOpportunities([opportunity.id]);
    expect(again).toEqual(opportunity);
  });

  it('pages through accounts and filters opportunities', async () => {
    const first = await crm.listAccounts({ first: 3 });
    expect(first.items.map((a) => a.name)).toEqual(['Acme Tools', 'Borealis Foods', 'Cobalt Mining']);
    expect(first.totalCount).toBeGreaterThanOrEqual(5);
    const second = await crm.listAccounts({ first: 3, after: first.nextCursor });
    expect(second.items[0].name).toBe('Delta Logistics');
    const found = await crm.listAccounts({ search: 'echo' });
    expect(found.items.map((a) => a.name)).toEqual(['Echo Retail']);
    const proposals = await crm.listOpportunities({ stage: 'PROPOSAL', accountId: BOREALIS });
    expect(proposals.items.map((o) => o.name)).toEqual(['Borealis Foods proposal deal']);
    expect(await calls('listAccounts')).toBe(3);
  });

  it('polls accounts changed since a time', async () => {
    const since = new Date().toISOString();
    await crm.updateAccount(fixtureId(2, 5), { country: 'AT' });
    const changed = await crm.listAccounts({ updatedSince: since });
    expect(changed.items.map((a) => [a.name, a.country, a.version])).toEqual([['Echo Retail', 'AT', 2]]);
  });
});

describe('HttpCrmConnector writes', () => {
  it('creates an account once for a repeated idempotency key', async () => {
    const first = await crm.createAccount({ name: 'India Robotics', country: 'IN' }, 'connector-create-india');
    const again = await crm.createAccount({ name: 'India Robotics', country: 'IN' }, 'connector-create-india');
    expect(again).toEqual(first);
    const listed = await crm.listAccounts({ search: 'india robotics' });
    expect(listed.totalCount).toBe(1);
    expect(await calls('createAccount')).toBe(2);
  });

  it('links an account to its ERP customer', async () => {
    const updated = await crm.updateAccount(fixtureId(2, 4), { erpCustomerNo: 'K-10004' }, 'link-delta');
    expect(updated).toMatchObject({ erpCustomerNo: 'K-10004', version: 2 });
    expect((await crm.findAccountsByErpCustomerNos(['K-10004'])).map((a) => a.name)).toEqual(['Delta Logistics']);
  });

  it('creates an opportunity with an exact amount, then wins it as a sales order', async () => {
    const created = await crm.createOpportunity({ accountId: COBALT, name: 'Spare parts', currency: 'EUR', lines: [{ sku: 'SKU-9', quantity: 3, unitPrice: '19.99' }] });
    expect(created).toMatchObject({ stage: 'PROSPECTING', amount: '59.97', version: 1 });
    const won = await crm.updateOpportunity(created.id, { stage: 'CLOSED_WON', erpSalesOrderId: 'SO-40001' }, 'win-spare-parts');
    expect(won).toMatchObject({ stage: 'CLOSED_WON', erpSalesOrderId: 'SO-40001', version: 2, amount: '59.97' });
  });

  it('logs an activity and opens a case', async () => {
    const activity = await crm.createActivity({ accountId: ACME, type: 'SYSTEM', subject: 'Order SO-20001 shipped', erpSalesOrderId: 'SO-20001' }, 'milestone-shipped');
    expect(activity).toMatchObject({ accountId: ACME, type: 'SYSTEM', subject: 'Order SO-20001 shipped', erpSalesOrderId: 'SO-20001' });
    const [latest] = await crm.listActivitiesByAccounts([ACME], { last: 1 });
    expect(latest.id).toBe(activity.id);
    const opened = await crm.openCase({ accountId: ACME, subject: 'Missing manual', priority: 'LOW' });
    expect(opened).toMatchObject({ status: 'OPEN', priority: 'LOW', erpSalesOrderId: null });
  });
});

describe('HttpCrmConnector errors', () => {
  it('turns a 400 into BAD_USER_INPUT naming the field', async () => {
    const error = await failure(crm.createOpportunity({ accountId: ACME, name: 'Bad', currency: 'EUR', lines: [{ sku: 'X', quantity: -1, unitPrice: '1.00' }] }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details).toMatchObject({ system: 'crm', operation: 'createOpportunity', status: 400, field: 'lines[0].quantity' });
  });

  it('turns a 404 into NOT_FOUND', async () => {
    const error = await failure(crm.updateAccount(fixtureId(2, 404), { name: 'Nobody' }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.details).toMatchObject({ operation: 'updateAccount', status: 404 });
  });

  it('turns a 409 into CONFLICT', async () => {
    const error = await failure(crm.createAccount({ name: 'Acme Copy', erpCustomerNo: 'K-10001' }));
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toMatchObject({ field: 'erpCustomerNo', accountId: ACME });
  });

  it('is refused without the right credential', async () => {
    const stranger = new HttpCrmConnector({ baseUrl, serviceToken: serviceTokenSigner('not-the-internal-secret-0123', 'stranger') });
    try {
      expect((await failure(stranger.getAccounts([ACME]))).code).toBe('UNAUTHENTICATED');
    } finally {
      await stranger.close();
    }
  });

  it('answers UPSTREAM_UNAVAILABLE when the CRM is down, after retrying the read', async () => {
    const down = new HttpCrmConnector({ baseUrl: 'http://127.0.0.1:1', serviceToken: () => 'x', retries: 1, timeoutMs: 500, metrics });
    try {
      expect((await failure(down.getOpportunities([fixtureId(4, 1)]))).code).toBe('UPSTREAM_UNAVAILABLE');
      expect(await calls('getOpportunities')).toBe(2);
    } finally {
      await down.close();
    }
  });
});
