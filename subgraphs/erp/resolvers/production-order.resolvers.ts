import type { Resolvers } from '../generated/resolvers-types';
import { wellFormedId } from '../../../platform/input-ids';
import { visibleThroughOrder } from '../partner-scope';
import { productOf } from './product.resolvers';

/** Production orders and the shop floor's completion report. */
export const productionOrderResolvers: Resolvers = {
  Mutation: {
    completeProductionOrder: (_parent, { id }, { erp }) => erp.completeProductionOrder(wellFormedId(id, 'id')),
  },
  ProductionOrder: {
    __resolveReference: async (reference, ctx) => visibleThroughOrder(ctx, await ctx.loaders.productionOrderById.load(reference.id)),
    product: (productionOrder, _args, { loaders }) => productOf(productionOrder.sku, loaders),
    salesOrder: (productionOrder, _args, { loaders }) => (productionOrder.salesOrderId ? loaders.salesOrderById.load(productionOrder.salesOrderId) : null),
  },
};
