import type { IntegrationContext } from '../context';
import type { CustomerWriteResult } from '../customers/customer.service';
import type { Resolvers } from '../generated/resolvers-types';
import type { CustomerModel } from '../models';

/** Customer identity, master data read from its owner, sync state, and the customer writes. */
export const customerResolvers: Resolvers = {
  Query: {
    customer: (_parent, { id }, ctx) => ctx.customers.byId(id),
    customers: (_parent, args, ctx) => ctx.customers.list(args),
  },
  Mutation: {
    createCustomer: async (_parent, { input }, ctx) => withFreshRows(ctx, await ctx.customerWrites.create(input)),
    updateCustomer: async (_parent, { id, input }, ctx) => withFreshRows(ctx, await ctx.customerWrites.update(await ctx.customers.byId(id), input)),
  },
  Customer: {
    __resolveReference: (reference, ctx) => {
      if ('id' in reference) return ctx.customers.byId(reference.id);
      if ('crmAccountId' in reference) return ctx.customers.byCrmAccountId(reference.crmAccountId);
      if ('erpCustomerNo' in reference) return ctx.customers.byErpCustomerNo(reference.erpCustomerNo);
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
