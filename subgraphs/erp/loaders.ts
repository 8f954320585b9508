import type DataLoader from 'dataloader';
import type {
  ErpConnector,
  ErpCustomer,
  ErpInvoice,
  ErpInvoiceStatus,
  ErpOpenBalance,
  ErpProduct,
  ErpProductionOrder,
  ErpSalesOrder,
  ErpSalesOrderStatus,
  ErpShipment,
  ErpStockLevel,
  ErpWarehouse,
} from '../../connectors/erp/erp.connector';
import { groupedRowsLoader, rowByIdLoader, rowsByOwnerLoader } from '../../platform/batch-loaders';
import { type EntityCache, type InvalidationRule, cachedGroups, cachedRows } from '../../platform/entity-cache';

/** How long hot ERP records stay cached, in seconds; change events remove them sooner. */
export const ERP_CACHE_TTL = { product: 300, warehouses: 300, stock: 5 };

/** Seconds each kind of cached ERP record lives. */
export type ErpCacheTtl = typeof ERP_CACHE_TTL;

/** The cache keys an ERP change event touches: the product, its stock, the warehouses. */
export const erpInvalidationRule: InvalidationRule = ({ entity, entityId }) => {
  switch (entity) {
    case 'product':
      return [{ kind: 'product', id: entityId }];
    case 'stock':
      // A stock event's id is "<sku>/<warehouseCode>"; stock is cached per SKU.
      return [{ kind: 'stock', id: entityId.split('/', 1)[0] }];
    case 'warehouse':
      return [{ kind: 'warehouses', id: 'all' }];
    default:
      return [];
  }
};

/** A customer's newest orders, optionally of one status. */
export interface OrdersKey {
  customerNo: string;
  status: ErpSalesOrderStatus | null;
  first: number;
}

/** A customer's invoices, optionally of one status. */
export interface InvoicesKey {
  customerNo: string;
  status: ErpInvoiceStatus | null;
}

/** The ERP subgraph's per-request loaders: one backend call per type and level of a query. */
export interface ErpLoaders {
  customerByNo: DataLoader<string, ErpCustomer | null>;
  /** The ERP customer linked to a CRM account id (lower case), found by its external reference. */
  customerByCrmAccount: DataLoader<string, ErpCustomer | null>;
  openBalanceByCustomer: DataLoader<string, ErpOpenBalance | null>;
  ordersByCustomer: DataLoader<OrdersKey, ErpSalesOrder[], string>;
  invoicesByCustomer: DataLoader<InvoicesKey, ErpInvoice[], string>;
  salesOrderById: DataLoader<string, ErpSalesOrder | null>;
  productsBySku: DataLoader<string, ErpProduct | null>;
  stockBySku: DataLoader<string, ErpStockLevel[]>;
  shipmentsBySalesOrder: DataLoader<string, ErpShipment[]>;
  invoicesBySalesOrder: DataLoader<string, ErpInvoice[]>;
  productionOrdersBySalesOrder: DataLoader<string, ErpProductionOrder[]>;
  productionOrderById: DataLoader<string, ErpProductionOrder | null>;
  shipmentById: DataLoader<string, ErpShipment | null>;
  invoiceById: DataLoader<string, ErpInvoice | null>;
  /** Warehouses by code, read once per request. */
  warehouses(): Promise<Map<string, ErpWarehouse>>;
  /**
   * What this request has already read, for fields that can then answer synchronously: a promise
   * per product or stock level is a large share of a big answer's CPU and garbage.
   */
  read: {
    /** Catalogue rows by SKU, as productsBySku answers them (null: not in the catalogue). */
    products: Map<string, ErpProduct | null>;
    /** Stock levels by SKU, as stockBySku answers them. */
    stock: Map<string, ErpStockLevel[]>;
    /** Warehouses by code, as warehouses() answers them. */
    warehouses?: Map<string, ErpWarehouse>;
    /** Product reads `lines` started ahead, by SKU, so a line's product answers with their outcome instead of reading again. */
    productsAhead: Map<string, Promise<ErpProduct>>;
  };
}

/** Creates fresh loaders for one request, so no request sees another's cached rows. */
export function createErpLoaders(erp: ErpConnector, cache?: EntityCache, ttl: ErpCacheTtl = ERP_CACHE_TTL): ErpLoaders {
  let warehouses: Promise<Map<string, ErpWarehouse>> | undefined;
  // Customers are not cached: credit limit and payment terms are money terms that a mutation
  // changes and the same answer reads back, before any webhook could invalidate a copy.
  const getCustomers = (nos: readonly string[]) => erp.getCustomers(nos);
  const getProducts = cache ? cachedRows(cache, 'product', ttl.product, (skus) => erp.getProducts(skus), (p) => p.sku) : (skus: readonly string[]) => erp.getProducts(skus);
  const getStockLevels = cache ? cachedGroups(cache, 'stock', ttl.stock, (skus) => erp.getStockLevels(skus), (s) => s.sku) : (skus: readonly string[]) => erp.getStockLevels(skus);
  const listWarehouses = cache
    ? async () => (await cache.many('warehouses', ['all'], ttl.warehouses, async () => new Map([['all', await erp.listWarehouses()]]))).get('all') ?? []
    : () => erp.listWarehouses();
  const read: ErpLoaders['read'] = { products: new Map(), stock: new Map(), productsAhead: new Map() };
  const readProducts = async (skus: readonly string[]) => {
    const rows = await getProducts(skus);
    for (const sku of skus) read.products.set(sku, null);
    for (const row of rows) read.products.set(row.sku, row);
    return rows;
  };
  const readStockLevels = async (skus: readonly string[]) => {
    const rows = await getStockLevels(skus);
    for (const sku of skus) read.stock.set(sku, []);
    for (const row of rows) read.stock.get(row.sku)?.push(row);
    return rows;
  };
  return {
    customerByNo: rowByIdLoader(getCustomers, (c) => c.customerNo),
    customerByCrmAccount: rowByIdLoader((refs) => erp.findCustomersByExternalRefs(refs), (c) => (c.externalRef ?? '').toLowerCase()),
    openBalanceByCustomer: rowByIdLoader((nos) => erp.getOpenBalances(nos), (b) => b.customerNo),
    ordersByCustomer: groupedRowsLoader<OrdersKey, ErpSalesOrder>({
      ownerOf: (key) => key.customerNo,
      argsOf: (key) => `${key.status ?? ''}/${key.first}`,
      fetch: (nos, key) => erp.listSalesOrdersByCustomers(nos, { status: key.status ?? undefined, perCustomer: key.first }),
      rowOwner: (order) => order.customerNo,
    }),
    invoicesByCustomer: groupedRowsLoader<InvoicesKey, ErpInvoice>({
      ownerOf: (key) => key.customerNo,
      argsOf: (key) => key.status ?? '',
      fetch: (nos, key) => erp.listInvoicesByCustomers(nos, { status: key.status ?? undefined }),
      rowOwner: (invoice) => invoice.customerNo,
    }),
    salesOrderById: rowByIdLoader((ids) => erp.getSalesOrders(ids), (o) => o.id),
    productsBySku: rowByIdLoader(readProducts, (p) => p.sku),
    stockBySku: rowsByOwnerLoader(readStockLevels, (s) => s.sku),
    shipmentsBySalesOrder: rowsByOwnerLoader((ids) => erp.listShipmentsBySalesOrders(ids), (s) => s.salesOrderId),
    invoicesBySalesOrder: rowsByOwnerLoader((ids) => erp.listInvoicesBySalesOrders(ids), (i) => i.salesOrderId ?? ''),
    productionOrdersBySalesOrder: rowsByOwnerLoader((ids) => erp.listProductionOrdersBySalesOrders(ids), (p) => p.salesOrderId ?? ''),
    productionOrderById: rowByIdLoader((ids) => erp.getProductionOrders(ids), (p) => p.id),
    shipmentById: rowByIdLoader((ids) => erp.getShipments(ids), (s) => s.id),
    invoiceById: rowByIdLoader((ids) => erp.getInvoices(ids), (i) => i.id),
    warehouses() {
      warehouses ??= listWarehouses().then((rows) => {
        read.warehouses = new Map(rows.map((w) => [w.code, w]));
        return read.warehouses;
      });
      return warehouses;
    },
    read,
  };
}
