import path from 'node:path';
import { HttpCrmConnector } from '../../../../../connectors/crm/http-crm.connector';
import type { ErpConnector } from '../../../../../connectors/erp/erp.connector';
import { HttpErpConnector } from '../../../../../connectors/erp/http-erp.connector';
import { ConnectorFaults } from '../../../../../connectors/test-support/connector-faults';
import type { OrderFlowErp } from '../../../ports';
import { prepareCrmDatabase, createCrmBackend, type CrmBackend } from '../../../../../backends/crm/server';
import { seedCrm } from '../../../../../backends/crm/seed';
import type { CrmDemoData, ErpDemoData } from '../../../../../backends/demo-data/demo-dataset.types';
import { migrateErpDatabase } from '../../../../../backends/erp/database';
import { seedErpDatabase } from '../../../../../backends/erp/seed';
import { createErpBackend, type ErpBackend } from '../../../../../backends/erp/server';
import { type Database, openDatabase } from '../../../../../platform/db';
import { freePorts } from '../../../../../platform/free-ports';
import { listen } from '../../../../../platform/http-server';
import { createLogger } from '../../../../../platform/logger';
import { createMetrics } from '../../../../../platform/metrics';
import { migrate } from '../../../../../platform/migrate';
import { serviceTokenSigner, signServiceToken } from '../../../../../platform/service-auth';
import { type IntegrationSubgraph, createIntegrationSubgraph } from '../../../server';
import type { OrderFlowSettings } from '../order-flows';

const INTERNAL_SECRET = 'flow-test-internal-secret-0123456789';
const WEBHOOK_SECRET = 'flow-test-webhook-secret-0123456789';

/** CRM account ids of the test world. */
export const ACCOUNT = {
  /** Acme: linked to ERP customer K-30001 (credit limit 50,000). */
  acme: '00000002-0000-4000-8000-000000000001',
  /** Tight: linked to K-30002, credit limit 100.00 with 60.00 open. */
  tight: '00000002-0000-4000-8000-000000000002',
  /** Newco: in the CRM only; the flow creates its ERP customer. */
  newco: '00000002-0000-4000-8000-000000000003',
} as const;

/** Opportunities of the test world. */
export const OPPORTUNITY = {
  /** Acme, NEGOTIATION: 2 gearboxes at 30.00 and 10 bolts at 0.50. */
  acmeGears: '00000004-0000-4000-8000-000000000001',
  /** Newco, PROPOSAL: 3 bolts at 0.10. */
  newcoBolts: '00000004-0000-4000-8000-000000000002',
} as const;

/**
 * A small ERP: GEAR-1 (manufactured, 10 on hand), BOLT-1 (purchased, 1000), LAST-1 (purchased,
 * exactly 5), PUMP-1 (manufactured, none on hand).
 */
export function flowErpData(): ErpDemoData {
  const customer = (customerNo: string, name: string, externalRef: string, creditLimit: string) => ({
    customerNo,
    name,
    email: null,
    industry: null,
    country: 'DE',
    externalRef,
    creditLimit,
    paymentTerms: 'NET14',
    currency: 'EUR',
    createdAt: '2024-01-10T08:00:00.000Z',
  });
  return {
    warehouses: [{ code: 'WH-A', name: 'Berlin' }],
    products: [
      { sku: 'GEAR-1', name: 'Gearbox', unitPrice: '33.33', currency: 'EUR', manufactured: true },
      { sku: 'BOLT-1', name: 'Bolt', unitPrice: '0.10', currency: 'EUR', manufactured: false },
      { sku: 'LAST-1', name: 'Last valve', unitPrice: '5.00', currency: 'EUR', manufactured: false },
      { sku: 'PUMP-1', name: 'Pump', unitPrice: '120.00', currency: 'EUR', manufactured: true },
    ],
    stock: [
      { sku: 'GEAR-1', warehouseCode: 'WH-A', onHand: 10 },
      { sku: 'BOLT-1', warehouseCode: 'WH-A', onHand: 1000 },
      { sku: 'LAST-1', warehouseCode: 'WH-A', onHand: 5 },
    ],
    customers: [customer('K-30001', 'Acme Tools', ACCOUNT.acme, '50000.00'), customer('K-30002', 'Tight Budget', ACCOUNT.tight, '100.00')],
    salesOrders: [
      {
        number: 'SO-300001',
        customerNo: 'K-30002',
        status: 'INVOICED',
        currency: 'EUR',
        externalRef: null,
        createdAt: '2024-02-02T09:00:00.000Z',
        lines: [{ lineNo: 1, sku: 'BOLT-1', quantity: 600, unitPrice: '0.10', reservedQuantity: 0, shippedQuantity: 600 }],
      },
    ],
    productionOrders: [],
    shipments: [],
    invoices: [
      {
        number: 'INV-300001',
        customerNo: 'K-30002',
        salesOrderNumber: 'SO-300001',
        status: 'OPEN',
        total: '60.00',
        amountDue: '60.00',
        currency: 'EUR',
        dueDate: '2099-03-04',
        issuedAt: '2024-02-03T09:00:00.000Z',
      },
    ],
    payments: [],
  };
}

/** The CRM side: three accounts (two linked), two open opportunities. */
export function flowCrmData(): CrmDemoData {
  const owner = { id: '00000001-0000-4000-8000-000000000001', name: 'Ada Owner', email: 'ada@crm.example' };
  const account = (id: string, name: string, erpCustomerNo: string | null) => ({ id, name, email: null, industry: null, country: 'DE', erpCustomerNo, ownerId: owner.id, createdAt: '2024-01-01T09:00:00.000Z' });
  return {
    users: [owner],
    accounts: [account(ACCOUNT.acme, 'Acme Tools', 'K-30001'), account(ACCOUNT.tight, 'Tight Budget', 'K-30002'), account(ACCOUNT.newco, 'Newco Pumps', null)],
    contacts: [],
    opportunities: [
      {
        id: OPPORTUNITY.acmeGears,
        accountId: ACCOUNT.acme,
        name: 'Acme gears',
        stage: 'NEGOTIATION',
        currency: 'EUR',
        expectedCloseDate: null,
        erpSalesOrderId: null,
        ownerId: owner.id,
        createdAt: '2024-02-01T10:00:00.000Z',
        lines: [
          { sku: 'GEAR-1', quantity: 2, unitPrice: '30.00' },
          { sku: 'BOLT-1', quantity: 10, unitPrice: '0.50' },
        ],
      },
      {
        id: OPPORTUNITY.newcoBolts,
        accountId: ACCOUNT.newco,
        name: 'Newco bolts',
        stage: 'PROPOSAL',
        currency: 'EUR',
        expectedCloseDate: null,
        erpSalesOrderId: null,
        ownerId: owner.id,
        createdAt: '2024-02-01T10:00:00.000Z',
        lines: [{ sku: 'BOLT-1', quantity: 3, unitPrice: '0.10' }],
      },
    ],
    activities: [],
    cases: [],
  };
}

/** The real ERP and CRM backends, and an integration subgraph running order flows against them. */
export interface OrderFlowWorld {
  integration: IntegrationSubgraph;
  /** Where the integration subgraph listens, e.g. for /metrics. */
  integrationUrl: string;
  integrationDb: Database;
  erpBackend: ErpBackend;
  crmBackend: CrmBackend;
  /** Connectors to look at the backends as a test (no faults). */
  erp: HttpErpConnector;
  crm: HttpCrmConnector;
  /** Faults in front of the ERP connector the order flows use. */
  faults: ConnectorFaults<keyof OrderFlowErp>;
  /** Posts a GraphQL operation to the integration subgraph as the gateway does. */
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }>;
  close(): Promise<void>;
}

/**
 * Starts the world on in-memory PGlite databases and free ports. `deliverWebhooks: false` keeps
 * the ERP's change events in its outbox, so only the catch-up poll can move waiting flows.
 */
export async function startOrderFlowWorld(
  options: {
    settings?: Partial<OrderFlowSettings>;
    deliverWebhooks?: boolean;
    integrationDb?: Database;
    /** Puts something in front of every ERP call the integration makes (e.g. a barrier that lines up racing writes). */
    wrapErp?: (erp: ErpConnector) => ErpConnector;
  } = {},
): Promise<OrderFlowWorld> {
  const logger = createLogger('flow-test', 'silent');
  const [erpPort, integrationPort] = await freePorts(2);
  const erpDb = await openDatabase({ service: 'erp' });
  await migrateErpDatabase(erpDb);
  await seedErpDatabase(erpDb, flowErpData);
  const erpBackend = createErpBackend({
    db: erpDb,
    internalSecret: INTERNAL_SECRET,
    webhookSecret: WEBHOOK_SECRET,
    webhookTargets: options.deliverWebhooks === false ? [] : [`http://127.0.0.1:${integrationPort}/webhooks/erp`],
    logger,
    outboxIntervalMs: 50,
  });
  await listen(erpBackend.app, erpPort);
  await erpBackend.start();

  const crmDb = await openDatabase({ service: 'crm' });
  await prepareCrmDatabase(crmDb);
  await seedCrm(crmDb, flowCrmData);
  const crmBackend = createCrmBackend({ db: crmDb, internalSecret: INTERNAL_SECRET, webhookSecret: WEBHOOK_SECRET, logger });
  const crmUrl = `http://127.0.0.1:${await listen(crmBackend.app, 0)}`;

  const serviceToken = serviceTokenSigner(INTERNAL_SECRET, 'integration');
  const erp = new HttpErpConnector({ baseUrl: `http://127.0.0.1:${erpPort}`, serviceToken, timeoutMs: 5000 });
  const crm = new HttpCrmConnector({ baseUrl: crmUrl, serviceToken, timeoutMs: 5000 });
  const faults = new ConnectorFaults<keyof OrderFlowErp>('erp');
  const integrationDb = options.integrationDb ?? (await openDatabase({ service: 'integration' }));
  await migrate(integrationDb, path.resolve(__dirname, '../../../migrations'));
  const integrationErp = options.wrapErp?.(erp) ?? erp;
  const integration = await createIntegrationSubgraph({
    db: integrationDb,
    erp: integrationErp,
    crm,
    logger,
    metrics: createMetrics('integration'),
    internalSecret: INTERNAL_SECRET,
    webhookSecret: WEBHOOK_SECRET,
    development: true,
    bootstrapRetryMs: 20,
    orderFlows: {
      erp: faults.wrap(integrationErp),
      crm,
      // Transient failures are retried for two seconds at most here, so a test sees a flow give up.
      settings: { retry: { baseMs: 20, maxDelayMs: 200, windowMs: 2000 }, probeMs: 300, leaseMs: 5000, pollMs: 300, workers: 2, cancelWaitMs: 10_000, ...options.settings },
    },
  });
  await listen(integration.app, integrationPort);
  await integration.bootstrap.runOnce();

  return {
    integration,
    integrationUrl: `http://127.0.0.1:${integrationPort}`,
    integrationDb,
    erpBackend,
    crmBackend,
    erp,
    crm,
    faults,
    async gql(query, variables) {
      const response = await fetch(`http://127.0.0.1:${integrationPort}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-service-token': signServiceToken(INTERNAL_SECRET, 'gateway') },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as never;
    },
    async close() {
      // Each part gets a bounded time: one that does not stop is named on stderr and left behind,
      // rather than failing tests that passed with a bare hook timeout that names nothing (seen
      // once in a loaded full run, never reproduced alone).
      await closeWithin('the integration subgraph', () => integration.close());
      await closeWithin('the ERP backend', () => erpBackend.close());
      await closeWithin('the CRM backend', () => crmBackend.close());
      if (!options.integrationDb) await closeWithin('the integration database', () => integrationDb.close());
      await closeWithin('the ERP database', () => erpDb.close());
      await closeWithin('the CRM database', () => crmDb.close());
    },
  };
}

const CLOSE_PART_MS = 15_000;

async function closeWithin(part: string, close: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_PART_MS)));
  const outcome = await Promise.race([close().then(() => 'closed' as const), late]).finally(() => clearTimeout(timer));
  if (outcome === 'late') process.stderr.write(`order-flow world: ${part} did not close within ${CLOSE_PART_MS / 1000} s; going on without it\n`);
}

/** Polls `read` until `done` holds for its value, or fails after `timeoutMs` with the last value. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}
