import type { Database } from '../../platform/db';
import { createLogger } from '../../platform/logger';
import { serviceTokenSigner } from '../../platform/service-auth';
import type { ErpDemoData } from '../demo-data/demo-dataset.types';
import { migrateErpDatabase } from './database';
import { seedErpDatabase } from './seed';
import { createErpBackend, type ErpBackend, type ErpBackendDeps } from './server';

/** Secrets the test backends are built with. */
export const TEST_INTERNAL_SECRET = 'test-internal-secret-0123456789';
export const TEST_WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/** A service token the test backends accept. */
export const testServiceToken = serviceTokenSigner(TEST_INTERNAL_SECRET, 'erp-test');

/**
 * A small ERP world for tests: two warehouses, a manufactured and a purchased product with stock,
 * a third product with none, two customers, one open order holding a reservation and one OPEN
 * invoice already past due.
 */
export function tinyErpData(): ErpDemoData {
  return {
    warehouses: [
      { code: 'WH-B', name: 'Hamburg' },
      { code: 'WH-A', name: 'Berlin' },
    ],
    products: [
      { sku: 'GEAR-1', name: 'Gearbox', unitPrice: '33.33', currency: 'EUR', manufactured: true },
      { sku: 'BOLT-1', name: 'Bolt', unitPrice: '0.10', currency: 'EUR', manufactured: false },
      { sku: 'PUMP-1', name: 'Pump', unitPrice: '1200.00', currency: 'EUR', manufactured: true },
    ],
    stock: [
      { sku: 'GEAR-1', warehouseCode: 'WH-A', onHand: 4 },
      { sku: 'GEAR-1', warehouseCode: 'WH-B', onHand: 6 },
      { sku: 'BOLT-1', warehouseCode: 'WH-A', onHand: 1000 },
    ],
    customers: [
      {
        customerNo: 'K-20001',
        name: 'Acme Industrial GmbH',
        email: 'buying@acme.example',
        industry: 'Machinery',
        country: 'DE',
        externalRef: '0b6c3a52-9a4e-4a62-8f0c-5a1d2e3f4a5b',
        creditLimit: '50000.00',
        paymentTerms: 'NET14',
        currency: 'EUR',
        createdAt: '2024-01-10T08:00:00.000Z',
      },
      {
        customerNo: 'K-20002',
        name: 'Borealis Foods AB',
        email: null,
        industry: null,
        country: 'SE',
        externalRef: null,
        creditLimit: null,
        paymentTerms: null,
        currency: 'SEK',
        createdAt: '2024-01-11T08:00:00.000Z',
      },
    ],
    salesOrders: [
      {
        number: 'SO-200001',
        customerNo: 'K-20001',
        status: 'CONFIRMED',
        currency: 'EUR',
        externalRef: null,
        createdAt: '2024-02-01T09:00:00.000Z',
        lines: [{ lineNo: 1, sku: 'BOLT-1', quantity: 100, unitPrice: '0.10', reservedQuantity: 100, shippedQuantity: 0 }],
      },
      {
        number: 'SO-200002',
        customerNo: 'K-20002',
        status: 'INVOICED',
        currency: 'SEK',
        externalRef: null,
        createdAt: '2024-02-02T09:00:00.000Z',
        lines: [{ lineNo: 1, sku: 'PUMP-1', quantity: 1, unitPrice: '1200.00', reservedQuantity: 0, shippedQuantity: 1 }],
      },
    ],
    productionOrders: [],
    shipments: [
      {
        number: 'SH-200001',
        salesOrderNumber: 'SO-200002',
        status: 'SHIPPED',
        carrier: 'DHL',
        trackingNumber: 'DHL-1',
        shippedAt: '2024-02-03T09:00:00.000Z',
        createdAt: '2024-02-02T10:00:00.000Z',
        lines: [{ sku: 'PUMP-1', quantity: 1 }],
      },
    ],
    invoices: [
      {
        number: 'INV-200001',
        customerNo: 'K-20002',
        salesOrderNumber: 'SO-200002',
        status: 'OPEN',
        total: '1200.00',
        amountDue: '1200.00',
        currency: 'SEK',
        dueDate: '2024-03-04',
        issuedAt: '2024-02-03T09:00:00.000Z',
      },
    ],
    payments: [],
  };
}

/** Migrates and tiny-seeds `db` and builds a backend on it (not listening). */
export async function buildTestErpBackend(db: Database, overrides: Partial<ErpBackendDeps> = {}): Promise<ErpBackend> {
  await migrateErpDatabase(db);
  await seedErpDatabase(db, tinyErpData);
  return createErpBackend({
    db,
    internalSecret: TEST_INTERNAL_SECRET,
    webhookSecret: TEST_WEBHOOK_SECRET,
    logger: createLogger('erp-backend-test', 'silent'),
    ...overrides,
  });
}
