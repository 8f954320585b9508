import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { InMemoryCrmConnector } from '../../../connectors/crm/test-support/in-memory-crm.connector';
import { InMemoryErpConnector } from '../../../connectors/erp/test-support/in-memory-erp.connector';
import { type ConnectorCall, ConnectorFaults } from '../../../connectors/test-support/connector-faults';
import { type Database, openDatabase } from '../../../platform/db';
import { listen } from '../../../platform/http-server';
import { createLogger } from '../../../platform/logger';
import { createMetrics } from '../../../platform/metrics';
import { migrate } from '../../../platform/migrate';
import { signServiceToken } from '../../../platform/service-auth';
import { type IntegrationSubgraph, createIntegrationSubgraph } from '../server';

/** The service credential key of tests; never used outside them. */
export const TEST_INTERNAL_SECRET = 'test-internal-secret-0123456789';
/** The webhook signing key of tests; never used outside them. */
export const TEST_WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/** A GraphQL answer as a client sees it. */
export interface GraphQLAnswer<Data = Record<string, any>> {
  data?: Data | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; field?: string } }[];
}

/** An integration subgraph listening on a free port, on an in-memory database and in-memory ERP and CRM. */
export interface IntegrationHarness {
  subgraph: IntegrationSubgraph;
  baseUrl: string;
  db: Database;
  /** The fakes themselves: their records, seeding and change listeners. */
  erp: InMemoryErpConnector;
  crm: InMemoryCrmConnector;
  /** The faults in front of each fake, and each system's own calls. */
  faults: { erp: ConnectorFaults; crm: ConnectorFaults };
  /** The fakes behind their faults, as the subgraph is given them; a test's own writes through these are journalled too. */
  connectors: { erp: InMemoryErpConnector; crm: InMemoryCrmConnector };
  /** Every call of both systems through `connectors`, in order. */
  journal: ConnectorCall[];
  /** Every SQL statement sent through the database. */
  sql: string[];
  /** When set, the operation id every customer write derives its idempotency keys from. */
  operationId?: string;
  /** Posts a GraphQL operation with the service credential, as the gateway does. */
  gql<Data = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLAnswer<Data>>;
  /** Empties the database, both systems and the logs, for the next test. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds the subgraph the way main.ts does, on a migrated in-memory PGlite. Opening PGlite takes
 * seconds, so a test file starts one harness and resets it between tests.
 */
export async function startIntegrationHarness(): Promise<IntegrationHarness> {
  const raw = await openDatabase({ service: 'integration' });
  await migrate(raw, path.resolve(__dirname, '../migrations'));
  const sql: string[] = [];
  const db: Database = {
    ...raw,
    query: (text, params) => {
      sql.push(text);
      return raw.query(text, params);
    },
  };
  const journal: ConnectorCall[] = [];
  const erp = new InMemoryErpConnector();
  const crm = new InMemoryCrmConnector();
  const faults = { erp: new ConnectorFaults('erp', journal), crm: new ConnectorFaults('crm', journal) };
  const connectors = { erp: faults.erp.wrap(erp), crm: faults.crm.wrap(crm) };
  const harness: IntegrationHarness = {
    subgraph: undefined as unknown as IntegrationSubgraph,
    baseUrl: '',
    db,
    erp,
    crm,
    faults,
    connectors,
    journal,
    sql,
    async gql(query, variables) {
      const response = await fetch(`${harness.baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-service-token': signServiceToken(TEST_INTERNAL_SECRET, 'gateway') },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLAnswer<never>;
    },
    async reset() {
      await harness.subgraph.sync.idle();
      await raw.exec('TRUNCATE customer_links, received_events, sync_record_versions, sync_snapshots, sync_cursors, sync_conflicts, resync_runs, reconciliation_reports, pgboss.job');
      erp.reset();
      crm.reset();
      for (const system of [faults.erp, faults.crm]) {
        system.clear();
        system.calls.length = 0;
      }
      journal.length = 0;
      sql.length = 0;
      harness.operationId = undefined;
    },
    async close() {
      await harness.subgraph.close();
      await raw.close();
    },
  };
  harness.subgraph = await createIntegrationSubgraph({
    db,
    erp: connectors.erp,
    crm: connectors.crm,
    logger: createLogger('integration', 'silent'),
    metrics: createMetrics('integration'),
    internalSecret: TEST_INTERNAL_SECRET,
    webhookSecret: TEST_WEBHOOK_SECRET,
    development: true,
    bootstrapRetryMs: 20,
    customerWrites: { stepRetryMs: 1, newOperationId: () => harness.operationId ?? randomUUID() },
  });
  harness.baseUrl = `http://127.0.0.1:${await listen(harness.subgraph.app, 0)}`;
  return harness;
}
