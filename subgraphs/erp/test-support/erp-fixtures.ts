import type { ErpCustomer, ErpInvoice, ErpProduct, ErpProductionOrder, ErpSalesOrder, ErpShipment } from '../../../connectors/erp/erp.connector';
import type { InMemoryErpData } from '../../../connectors/erp/test-support/in-memory-erp.connector';

/** The CRM account id kept as external reference by customer `n` (1-based). */
export function crmAccountIdOf(n: number): string {
  return `a0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** The ERP number of customer `n` (1-based). */
export function customerNoOf(n: number): string {
  return `K-${10000 + n}`;
}

const STAMP = '2026-01-15T08:00:00.000Z';

function product(sku: string, name: string, unitPrice: string, manufactured: boolean): ErpProduct {
  return { sku, name, unitPrice, currency: 'EUR', manufactured, version: 1, updatedAt: STAMP };
}

/**
 * A small ERP: `customerCount` customers, each with two sales orders (one open invoice of 40.10 and
 * one paid), a shipment per order and a production order for the first. Customer 1 also owes an
 * overdue 1234.5, so its open balance is 1274.60.
 */
export function erpFixture(customerCount: number): InMemoryErpData {
  const customers: ErpCustomer[] = [];
  const salesOrders: ErpSalesOrder[] = [];
  const shipments: ErpShipment[] = [];
  const invoices: ErpInvoice[] = [];
  const productionOrders: ErpProductionOrder[] = [];
  for (let n = 1; n <= customerCount; n++) {
    const customerNo = customerNoOf(n);
    customers.push({
      customerNo,
      name: `Customer ${n} GmbH`,
      email: null,
      industry: null,
      country: 'DE',
      externalRef: crmAccountIdOf(n),
      creditLimit: '50000',
      paymentTerms: 'NET30',
      currency: 'EUR',
      version: 1,
      createdAt: STAMP,
      updatedAt: STAMP,
    });
    for (const k of [1, 2]) {
      const id = `SO-${100000 + n * 10 + k}`;
      salesOrders.push({
        id,
        number: id,
        customerNo,
        status: k === 1 ? 'INVOICED' : 'PAID',
        currency: 'EUR',
        total: '40.1',
        externalRef: null,
        lines: [
          { lineNo: 1, sku: 'P-100', quantity: 2, unitPrice: '19.9', reservedQuantity: 0, shippedQuantity: 2 },
          { lineNo: 2, sku: 'P-300', quantity: 3, unitPrice: '0.1', reservedQuantity: 0, shippedQuantity: 3 },
        ],
        version: 1,
        createdAt: `2026-01-${String(10 + k).padStart(2, '0')}T10:00:00.000Z`,
        updatedAt: STAMP,
      });
      shipments.push({
        id: `SH-${70000 + n * 10 + k}`,
        number: `SH-${70000 + n * 10 + k}`,
        salesOrderId: id,
        status: 'SHIPPED',
        carrier: 'DHL',
        trackingNumber: `TRK${n}${k}`,
        shippedAt: STAMP,
        lines: [{ sku: 'P-100', quantity: 2 }],
        version: 1,
        createdAt: STAMP,
        updatedAt: STAMP,
      });
      invoices.push({
        id: `INV-${30000 + n * 10 + k}`,
        number: `INV-${30000 + n * 10 + k}`,
        customerNo,
        salesOrderId: id,
        status: k === 1 ? 'OPEN' : 'PAID',
        total: '40.10',
        amountDue: k === 1 ? '40.10' : '0.00',
        currency: 'EUR',
        dueDate: '2026-02-14',
        issuedAt: STAMP,
        version: 1,
        updatedAt: STAMP,
      });
    }
    productionOrders.push({
      id: `MO-${50000 + n}`,
      number: `MO-${50000 + n}`,
      sku: 'P-100',
      quantity: 2,
      status: 'IN_PROGRESS',
      salesOrderId: `SO-${100000 + n * 10 + 1}`,
      version: 1,
      createdAt: STAMP,
      updatedAt: STAMP,
    });
  }
  if (customerCount > 0) {
    invoices.push({
      id: 'INV-39999',
      number: 'INV-39999',
      customerNo: customerNoOf(1),
      salesOrderId: null,
      status: 'OVERDUE',
      total: '1234.5',
      amountDue: '1234.5',
      currency: 'EUR',
      dueDate: '2025-12-31',
      issuedAt: STAMP,
      version: 1,
      updatedAt: STAMP,
    });
  }
  return {
    customers,
    products: [
      product('P-100', 'Hydraulic pump HP-100', '19.9', true),
      product('P-200', 'Gear unit G-200', '1234.5', true),
      product('P-300', 'Sealing ring S-300', '0.1', false),
      product('P-400', 'Valve block V-400', '310', false),
      product('P-500', 'Control unit C-500', '899.99', true),
    ],
    warehouses: [
      { code: 'WH-HH', name: 'Hamburg Central' },
      { code: 'WH-MU', name: 'Munich South' },
    ],
    stock: [
      { sku: 'P-100', warehouseCode: 'WH-HH', onHand: 10, reserved: 3 },
      // More reserved than on hand: availability never goes negative.
      { sku: 'P-100', warehouseCode: 'WH-MU', onHand: 2, reserved: 5 },
      { sku: 'P-300', warehouseCode: 'WH-HH', onHand: 500, reserved: 0 },
    ],
    salesOrders,
    productionOrders,
    shipments,
    invoices,
  };
}
