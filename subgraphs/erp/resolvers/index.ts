import type { Resolvers } from '../generated/resolvers-types';
import { customerResolvers } from './customer.resolvers';
import { invoiceResolvers } from './invoice.resolvers';
import { productResolvers } from './product.resolvers';
import { productionOrderResolvers } from './production-order.resolvers';
import { salesOrderResolvers } from './sales-order.resolvers';
import { shipmentResolvers } from './shipment.resolvers';

/** Every resolver of the ERP subgraph, merged per type. */
export const erpResolvers: Resolvers = mergeResolvers([
  customerResolvers,
  salesOrderResolvers,
  productResolvers,
  productionOrderResolvers,
  shipmentResolvers,
  invoiceResolvers,
]);

function mergeResolvers(parts: Resolvers[]): Resolvers {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const part of parts) {
    for (const [typeName, fields] of Object.entries(part)) merged[typeName] = { ...merged[typeName], ...(fields as Record<string, unknown>) };
  }
  return merged as Resolvers;
}
