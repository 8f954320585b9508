import type { Resolvers } from '../generated/resolvers-types';

/** An ERP sales order seen from the CRM: the order is the ERP's, the CRM knows the opportunity it came from. */
export const salesOrderResolvers: Resolvers = {
  SalesOrder: {
    __resolveReference: (reference) => ({ id: reference.id }),
    opportunity: (salesOrder, _args, { loaders }) => loaders.opportunityBySalesOrder.load(salesOrder.id),
  },
};
