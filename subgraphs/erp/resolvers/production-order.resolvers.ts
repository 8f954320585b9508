import type { Resolvers } from '../generated/resolvers-types';
import { wellFormedId } from '../../../platform/input-ids';
import { visibleThroughOrder } from '../partner-scope';
import { productField } from './product.resolvers';
import { callerScopedKey } from '../../../platform/idempotency';

/** Production orders and the shop floor's completion report. */
export const productionOrderResolvers: Resolvers = {
  Mutation: {
    completeProductionOrder: (_parent, { id, idempotencyKey }, { erp, principal }) =>
      erp.completeProductionOrder(wellFormedId(id, 'id'), callerScopedKey('completeProductionOrder', principal?.sub, idempotencyKey)),
  },
  ProductionOrder: {
    __resolveReference: async (reference, ctx) => visibleThroughOrder(ctx, await ctx.loaders.productionOrderById.load(reference.id)),
    product: (productionOrder, _args, { loaders }, info) => productField(productionOrder.sku, loaders, info),
    salesOrder: (productionOrder, _args, { loaders }) => (productionOrder.salesOrderId ? loaders.salesOrderById.load(productionOrder.salesOrderId) : null),
  },
};
