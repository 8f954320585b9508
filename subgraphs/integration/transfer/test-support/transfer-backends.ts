import { createCrmBackend, prepareCrmDatabase } from '../../../../backends/crm/server';
import { migrateErpDatabase } from '../../../../backends/erp/database';
import { createErpBackend } from '../../../../backends/erp/server';
import { HttpCrmConnector } from '../../../../connectors/crm/http-crm.connector';
import { HttpErpConnector } from '../../../../connectors/erp/http-erp.connector';
import { type Database, openDatabase } from '../../../../platform/db';
import { listen } from '../../../../platform/http-server';
import { createLogger } from '../../../../platform/logger';
import { serviceTokenSigner } from '../../../../platform/service-auth';

const INTERNAL_SECRET = 'transfer-test-internal-secret-0123456789';
const WEBHOOK_SECRET = 'transfer-test-webhook-secret-0123456789';

/** A CRM user the tests may name as an account owner. */
export const TEST_OWNER_ID = '6f1d2c3b-4a59-4e8d-9c7b-0a1b2c3d4e5f';

/** Real ERP and CRM backends on free ports over in-memory databases, and HTTP connectors to them. */
export interface TransferBackends {
  crmDb: Database;
  erpDb: Database;
  crm: HttpCrmConnector;
  erp: HttpErpConnector;
  close(): Promise<void>;
}

/** Starts both reference backends empty (one CRM user, no seed) for import tests. */
export async function startTransferBackends(): Promise<TransferBackends> {
  const logger = createLogger('transfer-test', 'silent');
  const crmDb = await openDatabase({ service: 'crm' });
  await prepareCrmDatabase(crmDb);
  await crmDb.query('INSERT INTO users (id, name, email) VALUES ($1, $2, $3)', [TEST_OWNER_ID, 'Olivia Owner', 'olivia@crm.example']);
  const erpDb = await openDatabase({ service: 'erp' });
  await migrateErpDatabase(erpDb);
  const crmBackend = createCrmBackend({ db: crmDb, internalSecret: INTERNAL_SECRET, webhookSecret: WEBHOOK_SECRET, logger });
  const erpBackend = createErpBackend({ db: erpDb, internalSecret: INTERNAL_SECRET, webhookSecret: WEBHOOK_SECRET, logger });
  const crmUrl = `http://127.0.0.1:${await listen(crmBackend.app, 0)}`;
  const erpUrl = `http://127.0.0.1:${await listen(erpBackend.app, 0)}`;
  const crm = new HttpCrmConnector({ baseUrl: crmUrl, serviceToken: serviceTokenSigner(INTERNAL_SECRET, 'import-test') });
  const erp = new HttpErpConnector({ baseUrl: erpUrl, serviceToken: serviceTokenSigner(INTERNAL_SECRET, 'import-test') });
  return {
    crmDb,
    erpDb,
    crm,
    erp,
    async close() {
      await Promise.all([crm.close(), erp.close()]);
      await Promise.all([crmBackend.close(), erpBackend.close()]);
      await Promise.all([crmDb.close(), erpDb.close()]);
    },
  };
}
