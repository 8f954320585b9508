import type { Resolvers } from '../generated/resolvers-types';
import { accountForWrite, caseInput } from '../inputs';

/** Service cases customers open, optionally about an ERP sales order. */
export const serviceCaseResolvers: Resolvers = {
  Mutation: {
    openCase: async (_parent, { input }, { crm, loaders }) => {
      const account = await accountForWrite(input.customerId, loaders);
      return crm.openCase(caseInput(input, account.id));
    },
  },
  ServiceCase: {
    salesOrder: (serviceCase) => (serviceCase.erpSalesOrderId ? { id: serviceCase.erpSalesOrderId } : null),
  },
};
