import { parseCustomerId } from '../../../platform/customer-id';
import type { IntegrationContext } from '../context';
import type { CustomerWriteResult } from '../customers/customer.service';
import type { Resolvers } from '../generated/resolvers-types';
import type { CustomerModel } from '../models';
import { partnerCustomer, visibleCustomer } from '../partner-scope';

/** Customer identity, master data read from its owner, sync state, and the customer writes. */
export const customerResolvers: Resolvers = {
  Query: {
    customer: async (_parent, { id }, ctx) => visibleCustomer(ctx, await ctx.customers.byId(id)),
    customers: async (_parent, args, ctx) => {
      // A partner's list is its own customer, nothing else.
      const own = partnerCustomer(ctx);
      if (own === undefined) return ctx.customers.list(args);
      const mine = await own;
      return { nodes: mine ? [mine] : [], totalCount: mine ? 1 : 0, pageInfo: { hasNextPage: false, endCursor: null } };
    },
  },
  Mutation: {
    createCustomer: async (_parent, { input }, ctx) => withFreshRows(ctx, await ctx.customerWrites.create(input)),
    updateCustomer: async (_parent, { id, input }, ctx) => {
      parseCustomerId(id, 'id');
      return withFreshRows(ctx, await ctx.customerWrites.update(await ctx.customers.byId(id), input));
    },
  },
  Customer: {
    __resolveReference: async (reference, ctx) => {
      if ('id' in reference) return visibleCustomer(ctx, await ctx.customers.byId(reference.id));
      if ('crmAccountId' in reference) return visibleCustomer(ctx, await ctx.customers.byCrmAccountId(reference.crmAccountId));
      if ('erpCustomerNo' in reference) return visibleCustomer(ctx, await ctx.customers.byErpCustomerNo(reference.erpCustomerNo));
      return null;
    },
    name: async (customer, _args, ctx) => (await ctx.customers.masterData(customer)).name,
    email: async (customer, _args, ctx) => (await ctx.customers.masterData(customer)).email,
    industry: async (customer, _args, ctx) => (await ctx.customers.masterData(customer)).industry,
    country: async (customer, _args, ctx) => (await ctx.customers.masterData(customer)).country,
    sync: (customer) => ({
      inCrm: customer.crmAccountId !== null,
      inErp: customer.erpCustomerNo !== null,
      state: customer.syncState,
      lastSyncedAt: customer.lastSyncedAt,
    }),
  },
};

// The write returned the rows as they are now; reads later in this request must not see older ones.
function withFreshRows(ctx: IntegrationContext, result: CustomerWriteResult): CustomerModel {
  if (result.account) ctx.loaders.crmAccount.clear(result.account.id.toLowerCase()).prime(result.account.id.toLowerCase(), result.account);
  if (result.erpCustomer) ctx.loaders.erpCustomer.clear(result.erpCustomer.customerNo).prime(result.erpCustomer.customerNo, result.erpCustomer);
  return result.customer;
}
