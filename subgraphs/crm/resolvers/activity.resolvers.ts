import type { Resolvers } from '../generated/resolvers-types';
import { accountForWrite, activityInput } from '../inputs';
import { callerScopedKey } from '../../../platform/idempotency';

/** Activities on an account: calls, emails, meetings, notes (and the integration's SYSTEM notes). */
export const activityResolvers: Resolvers = {
  Mutation: {
    logActivity: async (_parent, { input, idempotencyKey }, { crm, loaders, principal }) => {
      const key = callerScopedKey('logActivity', principal?.sub, idempotencyKey);
      const account = await accountForWrite(input.customerId, loaders);
      return crm.createActivity(activityInput(input, account.id), key);
    },
  },
  Activity: {
    salesOrder: (activity) => (activity.erpSalesOrderId ? { id: activity.erpSalesOrderId } : null),
  },
};
