import type { Resolvers } from '../generated/resolvers-types';
import { wellFormedId } from '../../../platform/input-ids';
import { shipmentConfirmation } from '../inputs';
import { visibleThroughOrder } from '../partner-scope';

/** Shipments and the warehouse's confirmation that the carrier took one. */
export const shipmentResolvers: Resolvers = {
  Mutation: {
    confirmShipment: (_parent, { id, carrier, trackingNumber }, { erp }) => erp.confirmShipment(wellFormedId(id, 'id'), shipmentConfirmation(carrier, trackingNumber)),
  },
  Shipment: {
    __resolveReference: async (reference, ctx) => visibleThroughOrder(ctx, await ctx.loaders.shipmentById.load(reference.id)),
  },
};
