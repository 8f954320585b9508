import type { Resolvers } from '../generated/resolvers-types';
import { wellFormedId } from '../../../platform/input-ids';
import { shipmentConfirmation } from '../inputs';
import { visibleThroughOrder } from '../partner-scope';
import { callerScopedKey } from '../../../platform/idempotency';

/** Shipments and the warehouse's confirmation that the carrier took one. */
export const shipmentResolvers: Resolvers = {
  Mutation: {
    confirmShipment: (_parent, { id, carrier, trackingNumber, idempotencyKey }, { erp, principal }) =>
      erp.confirmShipment(wellFormedId(id, 'id'), shipmentConfirmation(carrier, trackingNumber), callerScopedKey('confirmShipment', principal?.sub, idempotencyKey)),
  },
  Shipment: {
    __resolveReference: async (reference, ctx) => visibleThroughOrder(ctx, await ctx.loaders.shipmentById.load(reference.id)),
  },
};
