import { isPartner } from '../../platform/subgraph-principal';
import type { ErpContext } from './context';
import { erpCustomerNoOf } from './inputs';

// The partner's ERP customer number, resolved once per request ('' when the ERP holds none).
const partnerCustomerNos = new WeakMap<ErpContext, Promise<string>>();

/**
 * The ERP customer number a partner request is limited to, '' when its customer has none (it
 * sees nothing), or undefined for every other caller (no limit).
 */
export function partnerCustomerNo(ctx: ErpContext): Promise<string> | undefined {
  if (!isPartner(ctx.principal)) return undefined;
  let found = partnerCustomerNos.get(ctx);
  if (!found) {
    const customerId = ctx.principal.customerId;
    found = customerId ? erpCustomerNoOf(customerId, ctx.loaders).then((no) => no ?? '', () => '') : Promise.resolve('');
    partnerCustomerNos.set(ctx, found);
  }
  return found;
}

/** A row the caller may see: for a partner only when it belongs to the partner's customer, else null. */
export async function visibleToCaller<Row extends { customerNo: string }>(ctx: ErpContext, row: Row | null | undefined): Promise<Row | null> {
  if (!row) return null;
  const own = partnerCustomerNo(ctx);
  if (own === undefined) return row;
  return row.customerNo === (await own) ? row : null;
}

/** A row hanging off a sales order (shipment, production order): for a partner only when the order is its customer's. */
export async function visibleThroughOrder<Row extends { salesOrderId: string | null }>(ctx: ErpContext, row: Row | null | undefined): Promise<Row | null> {
  if (!row) return null;
  if (partnerCustomerNo(ctx) === undefined) return row;
  if (!row.salesOrderId) return null;
  return (await visibleToCaller(ctx, await ctx.loaders.salesOrderById.load(row.salesOrderId))) ? row : null;
}

/** A customer number the caller may read: for a partner only its own. */
export async function visibleCustomerNo(ctx: ErpContext, customerNo: string | null | undefined): Promise<string | null> {
  if (!customerNo) return null;
  const own = partnerCustomerNo(ctx);
  if (own === undefined) return customerNo;
  return customerNo === (await own) ? customerNo : null;
}
