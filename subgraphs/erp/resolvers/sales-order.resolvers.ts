import type { Resolvers } from '../generated/resolvers-types';
import { emptyConnection, fetchConnection, money } from '../../../platform/graphql-values';
import { pageSize } from '../../../platform/pagination';
import { erpCustomerNoOf } from '../inputs';
import { partnerCustomerNo, visibleToCaller } from '../partner-scope';
import { productOf } from './product.resolvers';

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
    lines: (order) => order.lines.map((line) => ({ ...line, currency: order.currency })),
    total: (order) => money(order.total, order.currency),
    shipments: (order, _args, { loaders }) => loaders.shipmentsBySalesOrder.load(order.id),
    invoices: (order, _args, { loaders }) => loaders.invoicesBySalesOrder.load(order.id),
    productionOrders: (order, _args, { loaders }) => loaders.productionOrdersBySalesOrder.load(order.id),
  },
  SalesOrderLine: {
    product: (line, _args, { loaders }) => productOf(line.sku, loaders),
    unitPrice: (line) => money(line.unitPrice, line.currency),
  },
};
