import type { Resolvers } from '../generated/resolvers-types';
import { wellFormedId } from '../../../platform/input-ids';
import { visibleThroughOrder } from '../partner-scope';
import { productField } from './product.resolvers';

/** Production orders and the shop floor's completion report. */
export const productionOrderResolvers: Resolvers = {
  Mutation: {
    completeProductionOrder: (_parent, { id }, { erp }) => erp.completeProductionOrder(wellFormedId(id, 'id')),
  },
  ProductionOrder: {
    __resolveReference: async (reference, ctx) => visibleThroughOrder(ctx, await ctx.loaders.productionOrderById.load(reference.id)),
    product: (productionOrder, _args, { loaders }, info) => productField(productionOrder.sku, loaders, info),
    salesOrder: (productionOrder, _args, { loaders }) => (productionOrder.salesOrderId ? loaders.salesOrderById.load(productionOrder.salesOrderId) : null),
  },
};
