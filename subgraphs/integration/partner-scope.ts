import { tryParseCustomerId } from '../../platform/customer-id';
import { isPartner } from '../../platform/subgraph-principal';
import type { IntegrationContext } from './context';
import type { CustomerModel } from './models';

// The partner's own customer, resolved once per request (null: its customer_id names no customer).
const partnerCustomers = new WeakMap<IntegrationContext, Promise<CustomerModel | null>>();

/** The customer a partner request is limited to (null: none), or undefined for every other caller. */
export function partnerCustomer(ctx: IntegrationContext): Promise<CustomerModel | null> | undefined {
  if (!isPartner(ctx.principal)) return undefined;
  let found = partnerCustomers.get(ctx);
  if (!found) {
    const customerId = ctx.principal.customerId;
    found = customerId ? ownCustomer(ctx, customerId).catch(() => null) : Promise.resolve(null);
    partnerCustomers.set(ctx, found);
  }
  return found;
}

// The token may name the customer by its API id or, like customerId arguments, by its record in either system.
async function ownCustomer(ctx: IntegrationContext, customerId: string): Promise<CustomerModel | null> {
  const exact = await ctx.customers.byId(customerId);
  if (exact) return exact;
  const parsed = tryParseCustomerId(customerId);
  if (!parsed) return null;
  return parsed.origin === 'crm' ? ctx.customers.byCrmAccountId(parsed.localId) : ctx.customers.byErpCustomerNo(parsed.localId);
}

/** True when two models are the same customer (by id, CRM account or ERP number). */
function sameCustomer(a: Pick<CustomerModel, 'id' | 'crmAccountId' | 'erpCustomerNo'>, b: Pick<CustomerModel, 'id' | 'crmAccountId' | 'erpCustomerNo'>): boolean {
  return (
    a.id === b.id ||
    (a.crmAccountId !== null && a.crmAccountId !== undefined && a.crmAccountId.toLowerCase() === b.crmAccountId?.toLowerCase()) ||
    (a.erpCustomerNo !== null && a.erpCustomerNo !== undefined && a.erpCustomerNo === b.erpCustomerNo)
  );
}

/** A customer the caller may see: for a partner only its own, else null. */
export async function visibleCustomer(ctx: IntegrationContext, customer: CustomerModel | null | undefined): Promise<CustomerModel | null> {
  if (!customer) return null;
  const own = partnerCustomer(ctx);
  if (own === undefined) return customer;
  const mine = await own;
  return mine && sameCustomer(mine, customer) ? customer : null;
}

/**
 * True when the caller may see something that belongs to the customer with this API id (an
 * order flow, say): always for internal roles, for a partner only when it is its own customer.
 * The order-flow resolvers call it for every flow they return.
 */
export async function mayReadCustomerOf(ctx: IntegrationContext, customerId: string): Promise<boolean> {
  const own = partnerCustomer(ctx);
  if (own === undefined) return true;
  const mine = await own;
  if (!mine) return false;
  if (mine.id === customerId || ctx.principal?.customerId === customerId) return true;
  const other = await ctx.customers.byId(customerId).catch(() => null);
  return other !== null && sameCustomer(mine, other);
}
