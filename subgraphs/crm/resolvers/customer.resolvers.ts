import type { Resolvers } from '../generated/resolvers-types';
import { countArgument } from '../inputs';

/**
 * Customer as the CRM knows it, by account id. A customer that exists only in the ERP arrives
 * with a null account id and answers empty lists.
 */
export const customerResolvers: Resolvers = {
  Customer: {
    // Each list loads what it needs, so a reference costs nothing until a field asks.
    __resolveReference: (reference) => ({ crmAccountId: reference.crmAccountId ?? null }),
    contacts: ({ crmAccountId }, _args, { loaders }) => (crmAccountId ? loaders.contactsByAccount.load(crmAccountId) : []),
    opportunities: ({ crmAccountId }, { stage }, { loaders }) => (crmAccountId ? loaders.opportunitiesByAccount.load({ accountId: crmAccountId, stage: stage ?? null }) : []),
    activities: ({ crmAccountId }, { last }, { loaders }) => {
      const count = countArgument(last, 20, 'last');
      if (!crmAccountId || count === 0) return [];
      return loaders.activitiesByAccount.load({ accountId: crmAccountId, last: count });
    },
    cases: ({ crmAccountId }, { status }, { loaders }) => (crmAccountId ? loaders.casesByAccount.load({ accountId: crmAccountId, status: status ?? null }) : []),
  },
  Contact: {
    customer: (contact) => ({ crmAccountId: contact.accountId }),
  },
};
