import type { Resolvers } from '../generated/resolvers-types';
import { accountForWrite, caseInput } from '../inputs';
import { callerScopedKey } from '../../../platform/idempotency';

/** Service cases customers open, optionally about an ERP sales order. */
export const serviceCaseResolvers: Resolvers = {
  Mutation: {
    openCase: async (_parent, { input, idempotencyKey }, { crm, loaders, principal }) => {
      const key = callerScopedKey('openCase', principal?.sub, idempotencyKey);
      const account = await accountForWrite(input.customerId, loaders);
      return crm.openCase(caseInput(input, account.id), key);
    },
  },
  ServiceCase: {
    salesOrder: (serviceCase) => (serviceCase.erpSalesOrderId ? { id: serviceCase.erpSalesOrderId } : null),
  },
};
