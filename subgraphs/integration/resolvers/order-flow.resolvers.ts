import { AppError, ErrorCode } from '../../../platform/errors';
import type { Resolvers } from '../generated/resolvers-types';

function arrivesWithOrderFlows(field: string): () => never {
  return () => {
    throw new AppError(ErrorCode.NOT_IMPLEMENTED, `${field} arrives with order flows`);
  };
}

/**
 * Order-to-cash flows come in a later issue. Until then their fields answer NOT_IMPLEMENTED, and
 * the flow of an opportunity or sales order is null, since no flow exists yet.
 */
export const orderFlowResolvers: Resolvers = {
  Query: {
    orderFlow: arrivesWithOrderFlows('orderFlow'),
    orderFlows: arrivesWithOrderFlows('orderFlows'),
  },
  Mutation: {
    convertOpportunityToOrder: arrivesWithOrderFlows('convertOpportunityToOrder'),
    placeOrder: arrivesWithOrderFlows('placeOrder'),
    cancelOrder: arrivesWithOrderFlows('cancelOrder'),
    retryOrderFlow: arrivesWithOrderFlows('retryOrderFlow'),
  },
  Opportunity: {
    __resolveReference: (reference) => reference,
    orderFlow: () => null,
  },
  SalesOrder: {
    __resolveReference: (reference) => reference,
    flow: () => null,
  },
  OrderFlow: {
    __resolveReference: () => null,
  },
};
