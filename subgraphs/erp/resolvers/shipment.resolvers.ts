import type { Resolvers } from '../generated/resolvers-types';
import { shipmentConfirmation } from '../inputs';

/** Shipments and the warehouse's confirmation that the carrier took one. */
export const shipmentResolvers: Resolvers = {
  Mutation: {
    confirmShipment: (_parent, { id, carrier, trackingNumber }, { erp }) => erp.confirmShipment(id, shipmentConfirmation(carrier, trackingNumber)),
  },
  Shipment: {
    __resolveReference: (reference, { loaders }) => loaders.shipmentById.load(reference.id),
  },
};
