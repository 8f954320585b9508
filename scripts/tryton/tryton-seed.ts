import type { ErpDemoData } from '../../backends/demo-data/demo-dataset.types';
import type { TrytonErpConnector } from '../../connectors/erp/tryton/tryton-erp.connector';
import { date, decimal } from '../../connectors/erp/tryton/tryton-rpc';

type Row = Record<string, unknown>;

/** What the seed put in. */
export interface TrytonSeedCounts {
  warehouses: number;
  products: number;
  customers: number;
  salesOrders: number;
}

/**
 * Puts the reference ERP's demo data into a configured Tryton database: warehouses, products
 * (SKU = product code, produced ones with a BOM), stock by inventory, customers (customer number
 * = party code, the CRM account id as an identifier) and each historical order driven through
 * Tryton's own workflow to its status: shipped with the recorded carrier, invoiced (today),
 * paid. Every write is keyed, so a seed cut short and run again completes without copies.
 */
export async function seedTryton(erp: TrytonErpConnector, data: ErpDemoData): Promise<TrytonSeedCounts> {
  const rpc = erp.rpc;
  const op = 'seed';
  const [unit] = await rpc.searchRead<Row>(op, 'product.uom', [['name', '=', 'Unit']], ['id']);
  const [category] = await rpc.searchRead<Row>(op, 'product.category', [['accounting', '=', true]], ['id'], { limit: 1 });

  // Warehouses: the database's own becomes the first; each picks from storage to its output location.
  const warehouses = new Map<string, Row>();
  const existing = await rpc.searchRead<Row>(op, 'stock.location', [['type', '=', 'warehouse']], ['code', 'storage_location', 'production_location'], { order: [['id', 'ASC']] });
  const [production] = await rpc.searchRead<Row>(op, 'stock.location', [['type', '=', 'production']], ['id'], { limit: 1 });
  const [lostFound] = await rpc.searchRead<Row>(op, 'stock.location', [['type', '=', 'lost_found']], ['id'], { limit: 1 });
  const sorted = [...data.warehouses].sort((a, b) => a.code.localeCompare(b.code));
  for (const [index, warehouse] of sorted.entries()) {
    let row = existing.find((w) => w.code === warehouse.code);
    if (!row && index === 0 && existing.length === 1 && existing[0].code === 'WH') {
      row = existing[0];
      await rpc.model(op, 'stock.location', 'write', [[row.id], { code: warehouse.code, name: warehouse.name }]);
    }
    if (!row) {
      const [storage] = await rpc.model<number[]>(op, 'stock.location', 'create', [[{ name: `${warehouse.name} storage`, code: `${warehouse.code}-STO`, type: 'storage' }]]);
      const [input] = await rpc.model<number[]>(op, 'stock.location', 'create', [[{ name: `${warehouse.name} input`, code: `${warehouse.code}-IN`, type: 'storage' }]]);
      const [output] = await rpc.model<number[]>(op, 'stock.location', 'create', [[{ name: `${warehouse.name} output`, code: `${warehouse.code}-OUT`, type: 'storage' }]]);
      const [id] = await rpc.model<number[]>(op, 'stock.location', 'create', [
        [{ name: warehouse.name, code: warehouse.code, type: 'warehouse', storage_location: storage, input_location: input, output_location: output, production_location: production.id, lost_found_location: lostFound.id }],
      ]);
      await rpc.model(op, 'stock.location', 'write', [[storage, input, output], { parent: id }]);
      row = { id, storage_location: storage };
    }
    warehouses.set(warehouse.code, row);
  }

  // Products, with a one-output BOM for those produced.
  const products = new Map<string, Row>();
  for (const found of await rpc.searchRead<Row>(op, 'product.product', [['code', 'in', data.products.map((p) => p.sku)]], ['code'])) products.set(String(found.code), found);
  for (const product of data.products.filter((p) => !products.has(p.sku))) {
    const [template] = await rpc.model<number[]>(op, 'product.template', 'create', [
      [
        {
          name: product.name,
          code: product.sku,
          type: 'goods',
          default_uom: unit.id,
          salable: true,
          sale_uom: unit.id,
          list_price: decimal(product.unitPrice),
          account_category: category.id,
          producible: product.manufactured,
          products: [['create', [{}]]],
        },
      ],
    ]);
    const [row] = await rpc.searchRead<Row>(op, 'product.product', [['template', '=', template]], ['id', 'code']);
    if (product.manufactured) {
      const [bom] = await rpc.model<number[]>(op, 'production.bom', 'create', [[{ name: product.name, outputs: [['create', [{ product: row.id, quantity: 1, uom: unit.id }]]] }]]);
      await rpc.model(op, 'product.product-production.bom', 'create', [[{ product: row.id, bom, sequence: 10 }]]);
    }
    products.set(product.sku, row);
  }

  // Stock on hand, one inventory per warehouse (only when it has none yet). The history below
  // ships from the first warehouse, so it starts with what those orders took on top: afterwards
  // every warehouse holds what the data says.
  const shippedLater = new Map<string, number>();
  for (const order of data.salesOrders) for (const line of order.lines) shippedLater.set(line.sku, (shippedLater.get(line.sku) ?? 0) + line.shippedQuantity);
  const firstCode = sorted[0]?.code;
  for (const [code, warehouse] of warehouses) {
    const held = new Map<string, number>();
    for (const s of data.stock.filter((row) => row.warehouseCode === code)) held.set(s.sku, (held.get(s.sku) ?? 0) + s.onHand);
    if (code === firstCode) for (const [sku, quantity] of shippedLater) held.set(sku, (held.get(sku) ?? 0) + quantity);
    const lines = [...held].filter(([, quantity]) => quantity > 0).map(([sku, onHand]) => ({ sku, onHand }));
    if (!lines.length) continue;
    const done = await rpc.searchRead<Row>(op, 'stock.inventory', [['location', '=', warehouse.storage_location]], ['id'], { limit: 1 });
    if (done.length) continue;
    const [inventory] = await rpc.model<number[]>(op, 'stock.inventory', 'create', [
      [{ location: warehouse.storage_location, date: date('2024-01-01'), lines: [['create', lines.map((l) => ({ product: products.get(l.sku)!.id, quantity: l.onHand }))]] }],
    ]);
    await rpc.model(op, 'stock.inventory', 'confirm', [[inventory]]);
  }

  // Customers keep their numbers.
  for (const customer of data.customers) {
    if ((await erp.getCustomers([customer.customerNo])).length) continue;
    const created = await erp.createCustomer(
      { name: customer.name, email: customer.email, industry: customer.industry, country: customer.country, externalRef: customer.externalRef, creditLimit: customer.creditLimit, paymentTerms: customer.paymentTerms },
      `seed:${customer.customerNo}`,
    );
    await rpc.model(op, 'party.party', 'write', [[(await rpc.searchRead<Row>(op, 'party.party', [['code', '=', created.customerNo]], ['id']))[0].id], { code: customer.customerNo }]);
  }

  // Orders, each driven to its status.
  const rank = ['DRAFT', 'CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP', 'PARTIALLY_SHIPPED', 'SHIPPED', 'INVOICED', 'PAID'];
  for (const order of data.salesOrders) {
    const key = `seed:${order.number}`;
    const status = order.status;
    const reached = (s: string) => status !== 'CANCELLED' && rank.indexOf(status) >= rank.indexOf(s);
    const created = await erp.createSalesOrder(
      { customerNo: order.customerNo, externalRef: order.externalRef, status: status === 'DRAFT' || status === 'CANCELLED' ? 'DRAFT' : 'CONFIRMED', lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice })) },
      key,
    );
    const id = created.id;
    await rpc.model(op, 'sale.sale', 'write', [[Number(id)], { number: order.number, sale_date: date(order.createdAt) }]);
    if (status === 'CANCELLED') {
      await erp.setSalesOrderStatus(id, 'CANCELLED', `${key}:cancel`);
      continue;
    }
    const wantsReservation = order.lines.some((l) => l.reservedQuantity > 0);
    if (wantsReservation || reached('SHIPPED')) await erp.reserveStock(id, `${key}:reserve`);
    for (const production of data.productionOrders.filter((p) => p.salesOrderNumber === order.number)) {
      const made = await erp.createProductionOrder({ sku: production.sku, quantity: production.quantity, salesOrderId: id }, `seed:${production.number}`);
      if (production.status === 'COMPLETED') await erp.completeProductionOrder(made.id, `seed:${production.number}:complete`);
      if (production.status === 'CANCELLED') await erp.cancelProductionOrder(made.id, `seed:${production.number}:cancel`);
    }
    if (!reached('SHIPPED')) continue;
    const recorded = data.shipments.find((s) => s.salesOrderNumber === order.number && s.status === 'SHIPPED');
    const shipment = await erp.createShipment(id, `${key}:ship`);
    await erp.confirmShipment(shipment.id, { carrier: recorded?.carrier ?? 'DHL', trackingNumber: recorded?.trackingNumber ?? `T-${order.number}` }, `${key}:confirm`);
    if (!reached('INVOICED')) continue;
    // Issued today: Tryton asks a person to confirm posting an invoice whose payment date is past.
    const recordedInvoice = data.invoices.find((i) => i.salesOrderNumber === order.number);
    const invoice = await erp.createInvoice(id, `${key}:invoice`);
    const payments = recordedInvoice ? data.payments.filter((p) => p.invoiceNumber === recordedInvoice.number) : [];
    for (const [index, payment] of payments.entries()) {
      const current = (await erp.getInvoices([invoice.id]))[0];
      const amount = status === 'PAID' && index === payments.length - 1 ? current.amountDue : payment.amount;
      if (Number(amount) > 0) await erp.recordPayment(invoice.id, { amount, reference: payment.reference }, `${key}:pay:${index}`);
    }
    if (status === 'PAID' && !payments.length) await erp.recordPayment(invoice.id, { amount: invoice.amountDue, reference: 'seed' }, `${key}:pay`);
  }
  return { warehouses: warehouses.size, products: products.size, customers: data.customers.length, salesOrders: data.salesOrders.length };
}
