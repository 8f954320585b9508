import { parseCustomerId } from '../../../platform/customer-id';
import { callerScopedKey } from '../../../platform/idempotency';
import { type InputFieldRoles, requireInputFieldRoles } from '../../../platform/input-field-roles';
import type { IntegrationContext } from '../context';
import type { CustomerWriteResult } from '../customers/customer.service';
import type { Resolvers } from '../generated/resolvers-types';
import type { CustomerModel } from '../models';
import { partnerCustomer, visibleCustomer } from '../partner-scope';

/**
 * Credit terms are finance's: the roles that may read a credit limit are the ones that may set one,
 * and finance, which may update a customer for that, changes no CRM master data
 * (schema/integration.graphql says so on each field).
 */
const CUSTOMER_INPUT_FIELD_ROLES: InputFieldRoles = {
  'CreateCustomerInput.creditLimit': ['finance', 'admin'],
  'CreateCustomerInput.paymentTerms': ['finance', 'admin'],
  'UpdateCustomerInput.creditLimit': ['finance', 'admin'],
  'UpdateCustomerInput.paymentTerms': ['finance', 'admin'],
  'UpdateCustomerInput.name': ['sales', 'admin'],
  'UpdateCustomerInput.email': ['sales', 'admin'],
  'UpdateCustomerInput.industry': ['sales', 'admin'],
  'UpdateCustomerInput.country': ['sales', 'admin'],
};

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
    createCustomer: async (_parent, { input, idempotencyKey }, ctx) => {
      requireInputFieldRoles(ctx.principal, 'CreateCustomerInput', input, CUSTOMER_INPUT_FIELD_ROLES);
      const key = callerScopedKey('createCustomer', ctx.principal?.sub, idempotencyKey);
      return withFreshRows(ctx, await ctx.customerWrites.create(input, key));
    },
    updateCustomer: async (_parent, { id, input, idempotencyKey }, ctx) => {
      requireInputFieldRoles(ctx.principal, 'UpdateCustomerInput', input, CUSTOMER_INPUT_FIELD_ROLES);
      const key = callerScopedKey('updateCustomer', ctx.principal?.sub, idempotencyKey);
      parseCustomerId(id, 'id');
      return withFreshRows(ctx, await ctx.customerWrites.update(await ctx.customers.byId(id), input, key));
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
