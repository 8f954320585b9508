import type { Resolvers } from '../generated/resolvers-types';
import { wellFormedId } from '../../../platform/input-ids';
import { emptyConnection, fetchConnection, money } from '../../../platform/graphql-values';
import { pageSize } from '../../../platform/pagination';
import { accountForWrite, crmAccountIdOf, opportunityInput } from '../inputs';
import { callerScopedKey } from '../../../platform/idempotency';

/** Opportunities: lookups, the filtered list, new ones priced from the ERP, and stage changes. */
export const opportunityResolvers: Resolvers = {
  Query: {
    opportunity: (_parent, { id }, { loaders }) => loaders.opportunityById.load(id),
    opportunities: async (_parent, { first, after, stage, customerId }, { crm, loaders }) => {
      pageSize(first, 20);
      let accountId: string | undefined;
      if (customerId !== undefined && customerId !== null) {
        const found = await crmAccountIdOf(customerId, loaders);
        if (!found) return emptyConnection();
        accountId = found;
      }
      const connection = await fetchConnection({ first, after }, 20, (page) => crm.listOpportunities({ ...page, stage: stage ?? undefined, accountId }));
      for (const opportunity of connection.nodes) loaders.opportunityById.prime(opportunity.id, opportunity);
      return connection;
    },
  },
  Mutation: {
    createOpportunity: async (_parent, { input, idempotencyKey }, { crm, erp, loaders, principal }) => {
      const key = callerScopedKey('createOpportunity', principal?.sub, idempotencyKey);
      const account = await accountForWrite(input.customerId, loaders);
      return crm.createOpportunity(await opportunityInput(input, account.id, erp), key);
    },
    updateOpportunityStage: (_parent, { id, stage, idempotencyKey }, { crm, principal }) =>
      crm.updateOpportunity(wellFormedId(id, 'id'), { stage }, callerScopedKey('updateOpportunityStage', principal?.sub, idempotencyKey)),
  },
  Opportunity: {
    __resolveReference: (reference, { loaders }) => loaders.opportunityById.load(reference.id),
    amount: (opportunity) => money(opportunity.amount, opportunity.currency),
    customer: (opportunity) => ({ crmAccountId: opportunity.accountId }),
    lines: (opportunity) => opportunity.lines.map((line) => ({ ...line, currency: opportunity.currency })),
    salesOrder: (opportunity) => (opportunity.erpSalesOrderId ? { id: opportunity.erpSalesOrderId } : null),
  },
  OpportunityLine: {
    product: (line) => ({ sku: line.sku }),
    unitPrice: (line) => money(line.unitPrice, line.currency),
  },
};
