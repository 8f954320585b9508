import { parseCustomerId } from '../../../../../platform/customer-id';
import { AppError, ErrorCode } from '../../../../../platform/errors';
import { defineStep } from '../../engine/flow-step';
import type { OrderFlowDeps, OrderFlowInput, WithCustomer } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const ENSURE_CUSTOMER = 'ensure-customer';

/**
 * Makes sure the customer exists in the ERP: a customer the CRM alone knows gets its ERP customer
 * through the linker (the same record, key and link the sync and createCustomer would make). An id
 * that names no customer is refused here (NOT_FOUND): the order was accepted without asking the
 * backends, so this is where an unknown customer is found out. Nothing to undo: the customer is
 * master data, valid beyond this order.
 */
export const ensureCustomerStep = defineStep<OrderFlowInput, Pick<WithCustomer, 'customerNo' | 'crmAccountId'>, OrderFlowDeps>({
  id: ENSURE_CUSTOMER,
  async invoke(state, { erp, crm, links, linker }, ctx) {
    const parsed = parseCustomerId(state.customerId);
    // One query: the customer's link, or a link that holds its record under another API id.
    const found = await links.findByKeys(parsed.origin === 'crm' ? { ids: [state.customerId], crmAccountIds: [parsed.localId] } : { ids: [state.customerId], erpCustomerNos: [parsed.localId] });
    const link = found.find((l) => l.id === state.customerId);
    const other = found.find((l) => l.id !== state.customerId);
    if (!link && other) throw new AppError(ErrorCode.NOT_FOUND, `customer ${state.customerId} does not exist (its record belongs to customer ${other.id})`);
    const crmAccountId = link?.crmAccountId ?? (parsed.origin === 'crm' ? parsed.localId.toLowerCase() : null);
    const customerNo = link?.erpCustomerNo ?? (parsed.origin === 'erp' ? parsed.localId : null);
    if (customerNo) {
      const [customer] = await erp.getCustomers([customerNo]);
      if (!customer) throw new AppError(ErrorCode.NOT_FOUND, `ERP customer ${customerNo} of ${state.customerId} does not exist`);
      return { kind: 'done', output: { customerNo, crmAccountId } };
    }
    const [account] = crmAccountId ? await crm.getAccounts([crmAccountId]) : [];
    if (!account) throw new AppError(ErrorCode.NOT_FOUND, `customer ${state.customerId} exists in neither system`);
    const linked = await linker.giveErpCustomer(account);
    if (linked.created) ctx.logger.info({ customerNo: linked.erpCustomer.customerNo }, 'customer created in the ERP for the order');
    return { kind: 'done', output: { customerNo: linked.erpCustomer.customerNo, crmAccountId } };
  },
});
