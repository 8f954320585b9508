import { randomUUID } from 'node:crypto';
import { InMemoryCrmConnector } from '../../connectors/crm/test-support/in-memory-crm.connector';
import { InMemoryErpConnector } from '../../connectors/erp/test-support/in-memory-erp.connector';
import { ConnectorFaults } from '../../connectors/test-support/connector-faults';
import { MemoryCache } from '../../platform/cache';
import { EntityCache } from '../../platform/entity-cache';
import { listen } from '../../platform/http-server';
import { createLogger } from '../../platform/logger';
import { createMetrics } from '../../platform/metrics';
import { WEBHOOK_SIGNATURE_HEADER, signWebhook } from '../../platform/webhook-signature';
import { erpFixture } from '../erp/test-support/erp-fixtures';
import { createCrmLoaders } from './loaders';
import { type CrmSubgraph, createCrmSubgraph } from './server';
import { crmFixture } from './test-support/crm-fixtures';

const WEBHOOK_SECRET = 'crm-cache-test-webhook-secret-0123';

describe('the CRM entity cache', () => {
  let crm: InMemoryCrmConnector;
  let crmFaults: ConnectorFaults;
  let cache: EntityCache;
  let subgraph: CrmSubgraph;
  let baseUrl: string;

  beforeEach(async () => {
    crm = new InMemoryCrmConnector(crmFixture(5));
    crmFaults = new ConnectorFaults('crm');
    cache = new EntityCache(new MemoryCache(100));
    subgraph = await createCrmSubgraph({
      crm: crmFaults.wrap(crm),
      erp: new InMemoryErpConnector(erpFixture(5)),
      logger: createLogger('crm-subgraph', 'silent'),
      metrics: createMetrics('crm-subgraph'),
      internalSecret: 'crm-cache-test-internal-secret-0123',
      development: true,
      entityCache: cache,
      webhookSecret: WEBHOOK_SECRET,
    });
    baseUrl = `http://127.0.0.1:${await listen(subgraph.app, 0)}`;
  });
  afterEach(async () => {
    await subgraph.close();
  });

  const accountName = async (id: string) => (await createCrmLoaders(crmFaults.wrap(crm), cache).accountById.load(id))?.name;

  it('keeps account master data across requests until the CRM signals a change', async () => {
    const [account] = crm.accounts.values();
    const before = await accountName(account.id);
    account.name = 'Renamed Holding AG';
    expect(await accountName(account.id)).toBe(before);
    expect(crmFaults.callsOf('getAccounts')).toHaveLength(1);

    const body = JSON.stringify({ eventId: randomUUID(), source: 'crm', entity: 'account', entityId: account.id, version: 2, action: 'updated', occurredAt: new Date().toISOString() });
    const response = await fetch(`${baseUrl}/webhooks/crm`, { method: 'POST', headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: signWebhook(WEBHOOK_SECRET, body) }, body });

    expect(response.status).toBe(204);
    expect(await accountName(account.id)).toBe('Renamed Holding AG');
  });

  it('refuses an unsigned change event', async () => {
    const body = JSON.stringify({ entity: 'account', entityId: [...crm.accounts.keys()][0] });
    const response = await fetch(`${baseUrl}/webhooks/crm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(401);
  });
});
