import type { Resolvers } from '../generated/resolvers-types';
import { accountForWrite, activityInput } from '../inputs';

/** Activities on an account: calls, emails, meetings, notes (and the integration's SYSTEM notes). */
export const activityResolvers: Resolvers = {
  Mutation: {
    logActivity: async (_parent, { input }, { crm, loaders }) => {
      const account = await accountForWrite(input.customerId, loaders);
      return crm.createActivity(activityInput(input, account.id));
    },
  },
  Activity: {
    salesOrder: (activity) => (activity.erpSalesOrderId ? { id: activity.erpSalesOrderId } : null),
  },
};
