import type { FieldNode, GraphQLResolveInfo } from 'graphql';
import type { Resolvers } from '../generated/resolvers-types';
import { emptyConnection, fetchConnection, money } from '../../../platform/graphql-values';
import { pageSize } from '../../../platform/pagination';
import { erpCustomerNoOf } from '../inputs';
import { partnerCustomerNo, visibleToCaller } from '../partner-scope';
import { type StockNeeds, productField, productOf, stockNeedsOf, subfields } from './product.resolvers';

// Per query and position (the executor, graphql-jit or graphql-js, reuses fieldNodes for every item of a list): what a `lines` selection needs of each line's product, null when it asks for no product.
const productNeedsByLines = new WeakMap<readonly FieldNode[], StockNeeds | null>();

function productNeedsOf(info: GraphQLResolveInfo): StockNeeds | null {
  let needs = productNeedsByLines.get(info.fieldNodes);
  if (needs === undefined) {
    const product = subfields(info.fieldNodes, info.fragments).get('product');
    needs = product ? stockNeedsOf(product, info.fragments) : null;
    productNeedsByLines.set(info.fieldNodes, needs);
  }
  return needs;
}

/** Sales orders: lookups, the filtered list, and what an order links to. */
export const salesOrderResolvers: Resolvers = {
  Query: {
    salesOrder: async (_parent, { id }, ctx) => visibleToCaller(ctx, await ctx.loaders.salesOrderById.load(id)),
    salesOrders: async (_parent, { first, after, status, customerId }, ctx) => {
      const { erp, loaders } = ctx;
      pageSize(first, 20);
      let customerNo: string | undefined;
      if (customerId !== undefined && customerId !== null) {
        const found = await erpCustomerNoOf(customerId, loaders);
        if (!found) return emptyConnection();
        customerNo = found;
      }
      // A partner lists its own customer's orders, whatever customerId says.
      const own = await partnerCustomerNo(ctx);
      if (own !== undefined) {
        if (!own || (customerNo !== undefined && customerNo !== own)) return emptyConnection();
        customerNo = own;
      }
      const connection = await fetchConnection({ first, after }, 20, (page) => erp.listSalesOrders({ ...page, status: status ?? undefined, customerNo }));
      for (const order of connection.nodes) loaders.salesOrderById.prime(order.id, order);
      return connection;
    },
  },
  SalesOrder: {
    __resolveReference: async (reference, ctx) => visibleToCaller(ctx, await ctx.loaders.salesOrderById.load(reference.id)),
    customer: (order) => ({ erpCustomerNo: order.customerNo }),
    lines: (order, _args, { loaders }, info) => {
      const lines = order.lines.map((line) => ({ ...line, currency: order.currency }));
      const needs = productNeedsOf(info);
      if (!needs || lines.length === 0) return lines;
      // With every product read first, the lines answer synchronously instead of with a promise each.
      // A failed read is the product field's error, at its own path: the field answers with the read's outcome.
      const reads = lines.map(({ sku }) => {
        let read = loaders.read.productsAhead.get(sku);
        if (!read) {
          read = productOf(sku, loaders, needs);
          loaders.read.productsAhead.set(sku, read);
        }
        return read;
      });
      return Promise.allSettled(reads).then(() => lines);
    },
    total: (order) => money(order.total, order.currency),
    shipments: (order, _args, { loaders }) => loaders.shipmentsBySalesOrder.load(order.id),
    invoices: (order, _args, { loaders }) => loaders.invoicesBySalesOrder.load(order.id),
    productionOrders: (order, _args, { loaders }) => loaders.productionOrdersBySalesOrder.load(order.id),
  },
  SalesOrderLine: {
    product: (line, _args, { loaders }, info) => productField(line.sku, loaders, info, loaders.read.productsAhead.get(line.sku)),
    unitPrice: (line) => money(line.unitPrice, line.currency),
  },
};
