import type { Database } from '../../platform/db';
import type { ErpDemoData } from '../demo-data/demo-dataset.types';
import { advanceSequences, bulkInsert, isEmpty } from './repositories/seed.repository';
import { RESERVING_STATUSES } from './services/sales-order.service';
import type { ErpSalesOrderStatus } from '../../connectors/erp/erp.connector';

/** How many records the seed wrote. */
export interface ErpSeedCounts {
  warehouses: number;
  products: number;
  stockLevels: number;
  customers: number;
  salesOrders: number;
  salesOrderLines: number;
  stockReservations: number;
  productionOrders: number;
  shipments: number;
  invoices: number;
  payments: number;
}

/**
 * Seeds the ERP from the demo data in one transaction, only when it holds no customers yet;
 * returns null when it did nothing. Reservations are derived, not copied: each open order line's
 * reserved quantity is taken from the warehouses in code order, as far as stock allows, so stock
 * and reservations agree exactly. Seeding records no change events (nothing changed for anyone).
 * `dataset` is only built when needed, so a restart does not pay for generating it; each table is
 * analysed once filled, so the planner's statistics (kept in the database) fit the seed.
 */
export async function seedErpDatabase(db: Database, dataset: () => ErpDemoData): Promise<ErpSeedCounts | null> {
  return db.transaction(async (tx) => {
    if (!(await isEmpty(tx))) return null;
    const data = dataset();
    const warehouseCodes = data.warehouses.map((w) => w.code).sort();
    const free = new Map<string, number>();
    for (const s of data.stock) free.set(`${s.sku}\u0000${s.warehouseCode}`, s.onHand);
    const reservedByStock = new Map<string, number>();

    const lines: { orderId: string; lineNo: number; sku: string; quantity: number; unitPrice: string; reserved: number; shipped: number; invoiced: number }[] = [];
    const reservations: { orderId: string; lineNo: number; warehouseCode: string; quantity: number }[] = [];
    const invoicedOrders = new Set(data.invoices.map((i) => i.salesOrderNumber).filter((n): n is string => n !== null));
    for (const order of data.salesOrders) {
      const open = RESERVING_STATUSES.includes(order.status as ErpSalesOrderStatus);
      for (const line of order.lines) {
        const shipped = Math.min(line.shippedQuantity, line.quantity);
        let want = open ? Math.min(line.reservedQuantity, line.quantity - shipped) : 0;
        let reserved = 0;
        for (const code of warehouseCodes) {
          if (want <= 0) break;
          const key = `${line.sku}\u0000${code}`;
          const take = Math.min(want, free.get(key) ?? 0);
          if (take <= 0) continue;
          free.set(key, (free.get(key) ?? 0) - take);
          reservedByStock.set(key, (reservedByStock.get(key) ?? 0) + take);
          reservations.push({ orderId: order.number, lineNo: line.lineNo, warehouseCode: code, quantity: take });
          reserved += take;
          want -= take;
        }
        const invoiced = invoicedOrders.has(order.number) ? shipped : 0;
        lines.push({ orderId: order.number, lineNo: line.lineNo, sku: line.sku, quantity: line.quantity, unitPrice: line.unitPrice, reserved, shipped, invoiced });
      }
    }

    const orderLines = new Map<string, { lineNo: number; sku: string }[]>();
    for (const line of lines) {
      const list = orderLines.get(line.orderId) ?? [];
      list.push({ lineNo: line.lineNo, sku: line.sku });
      orderLines.set(line.orderId, list);
    }
    const shipmentLines = data.shipments.flatMap((shipment) =>
      shipment.lines.map((line, index) => ({
        shipmentId: shipment.number,
        position: index + 1,
        // The demo data names the product shipped; the ERP keeps which order line it belongs to.
        lineNo: orderLines.get(shipment.salesOrderNumber)?.find((l) => l.sku === line.sku)?.lineNo ?? 1,
        sku: line.sku,
        quantity: line.quantity,
      })),
    );

    const counts: ErpSeedCounts = {
      warehouses: await bulkInsert(tx, 'warehouses', { code: data.warehouses.map((w) => w.code), name: data.warehouses.map((w) => w.name) }, { code: 'text', name: 'text' }),
      products: await bulkInsert(
        tx,
        'products',
        {
          sku: data.products.map((p) => p.sku),
          name: data.products.map((p) => p.name),
          unit_price: data.products.map((p) => p.unitPrice),
          currency: data.products.map((p) => p.currency),
          manufactured: data.products.map((p) => p.manufactured),
        },
        { sku: 'text', name: 'text', unit_price: 'numeric', currency: 'text', manufactured: 'bool' },
      ),
      stockLevels: await bulkInsert(
        tx,
        'stock_levels',
        {
          sku: data.stock.map((s) => s.sku),
          warehouse_code: data.stock.map((s) => s.warehouseCode),
          on_hand: data.stock.map((s) => s.onHand),
          reserved: data.stock.map((s) => reservedByStock.get(`${s.sku}\u0000${s.warehouseCode}`) ?? 0),
        },
        { sku: 'text', warehouse_code: 'text', on_hand: 'int', reserved: 'int' },
      ),
      customers: await bulkInsert(
        tx,
        'customers',
        {
          customer_no: data.customers.map((c) => c.customerNo),
          name: data.customers.map((c) => c.name),
          email: data.customers.map((c) => c.email),
          industry: data.customers.map((c) => c.industry),
          country: data.customers.map((c) => c.country),
          external_ref: data.customers.map((c) => c.externalRef),
          credit_limit: data.customers.map((c) => c.creditLimit),
          payment_terms: data.customers.map((c) => c.paymentTerms),
          currency: data.customers.map((c) => c.currency),
          created_at: data.customers.map((c) => c.createdAt),
          updated_at: data.customers.map((c) => c.createdAt),
        },
        {
          customer_no: 'text',
          name: 'text',
          email: 'text',
          industry: 'text',
          country: 'text',
          external_ref: 'text',
          credit_limit: 'numeric',
          payment_terms: 'text',
          currency: 'text',
          created_at: 'timestamptz',
          updated_at: 'timestamptz',
        },
      ),
      salesOrders: await bulkInsert(
        tx,
        'sales_orders',
        {
          id: data.salesOrders.map((o) => o.number),
          customer_no: data.salesOrders.map((o) => o.customerNo),
          status: data.salesOrders.map((o) => o.status),
          currency: data.salesOrders.map((o) => o.currency),
          external_ref: data.salesOrders.map((o) => o.externalRef),
          created_at: data.salesOrders.map((o) => o.createdAt),
          updated_at: data.salesOrders.map((o) => o.createdAt),
        },
        { id: 'text', customer_no: 'text', status: 'text', currency: 'text', external_ref: 'text', created_at: 'timestamptz', updated_at: 'timestamptz' },
      ),
      salesOrderLines: await bulkInsert(
        tx,
        'sales_order_lines',
        {
          sales_order_id: lines.map((l) => l.orderId),
          line_no: lines.map((l) => l.lineNo),
          sku: lines.map((l) => l.sku),
          quantity: lines.map((l) => l.quantity),
          unit_price: lines.map((l) => l.unitPrice),
          reserved_quantity: lines.map((l) => l.reserved),
          shipped_quantity: lines.map((l) => l.shipped),
          invoiced_quantity: lines.map((l) => l.invoiced),
        },
        { sales_order_id: 'text', line_no: 'int', sku: 'text', quantity: 'int', unit_price: 'numeric', reserved_quantity: 'int', shipped_quantity: 'int', invoiced_quantity: 'int' },
      ),
      stockReservations: await bulkInsert(
        tx,
        'stock_reservations',
        {
          sales_order_id: reservations.map((r) => r.orderId),
          line_no: reservations.map((r) => r.lineNo),
          warehouse_code: reservations.map((r) => r.warehouseCode),
          quantity: reservations.map((r) => r.quantity),
        },
        { sales_order_id: 'text', line_no: 'int', warehouse_code: 'text', quantity: 'int' },
      ),
      productionOrders: await bulkInsert(
        tx,
        'production_orders',
        {
          id: data.productionOrders.map((p) => p.number),
          sku: data.productionOrders.map((p) => p.sku),
          quantity: data.productionOrders.map((p) => p.quantity),
          status: data.productionOrders.map((p) => p.status),
          sales_order_id: data.productionOrders.map((p) => p.salesOrderNumber),
          created_at: data.productionOrders.map((p) => p.createdAt),
          updated_at: data.productionOrders.map((p) => p.createdAt),
        },
        { id: 'text', sku: 'text', quantity: 'int', status: 'text', sales_order_id: 'text', created_at: 'timestamptz', updated_at: 'timestamptz' },
      ),
      shipments: await bulkInsert(
        tx,
        'shipments',
        {
          id: data.shipments.map((s) => s.number),
          sales_order_id: data.shipments.map((s) => s.salesOrderNumber),
          status: data.shipments.map((s) => s.status),
          carrier: data.shipments.map((s) => s.carrier),
          tracking_number: data.shipments.map((s) => s.trackingNumber),
          shipped_at: data.shipments.map((s) => s.shippedAt),
          created_at: data.shipments.map((s) => s.createdAt),
          updated_at: data.shipments.map((s) => s.shippedAt ?? s.createdAt),
        },
        {
          id: 'text',
          sales_order_id: 'text',
          status: 'text',
          carrier: 'text',
          tracking_number: 'text',
          shipped_at: 'timestamptz',
          created_at: 'timestamptz',
          updated_at: 'timestamptz',
        },
      ),
      invoices: await bulkInsert(
        tx,
        'invoices',
        {
          id: data.invoices.map((i) => i.number),
          customer_no: data.invoices.map((i) => i.customerNo),
          sales_order_id: data.invoices.map((i) => i.salesOrderNumber),
          status: data.invoices.map((i) => i.status),
          total: data.invoices.map((i) => i.total),
          amount_due: data.invoices.map((i) => i.amountDue),
          currency: data.invoices.map((i) => i.currency),
          due_date: data.invoices.map((i) => i.dueDate),
          issued_at: data.invoices.map((i) => i.issuedAt),
          updated_at: data.invoices.map((i) => i.issuedAt),
        },
        {
          id: 'text',
          customer_no: 'text',
          sales_order_id: 'text',
          status: 'text',
          total: 'numeric',
          amount_due: 'numeric',
          currency: 'text',
          due_date: 'date',
          issued_at: 'timestamptz',
          updated_at: 'timestamptz',
        },
      ),
      payments: await bulkInsert(
        tx,
        'payments',
        {
          invoice_id: data.payments.map((p) => p.invoiceNumber),
          amount: data.payments.map((p) => p.amount),
          reference: data.payments.map((p) => p.reference),
          received_at: data.payments.map((p) => p.receivedAt),
        },
        { invoice_id: 'text', amount: 'numeric', reference: 'text', received_at: 'timestamptz' },
      ),
    };
    await bulkInsert(
      tx,
      'shipment_lines',
      {
        shipment_id: shipmentLines.map((l) => l.shipmentId),
        position: shipmentLines.map((l) => l.position),
        line_no: shipmentLines.map((l) => l.lineNo),
        sku: shipmentLines.map((l) => l.sku),
        quantity: shipmentLines.map((l) => l.quantity),
      },
      { shipment_id: 'text', position: 'int', line_no: 'int', sku: 'text', quantity: 'int' },
    );
    await advanceSequences(tx);
    return counts;
  });
}
