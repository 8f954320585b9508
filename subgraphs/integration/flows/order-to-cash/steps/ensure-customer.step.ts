import { parseCustomerId } from '../../../../../platform/customer-id';
import { AppError, ErrorCode } from '../../../../../platform/errors';
import { defineStep } from '../../engine/flow-step';
import type { OrderFlowDeps, OrderFlowInput, WithCustomer } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const ENSURE_CUSTOMER = 'ensure-customer';

/**
 * Makes sure the customer exists in the ERP: a customer the CRM alone knows gets its ERP customer
 * through the linker (the same record, key and link the sync and createCustomer would make).
 * Nothing to undo: the customer is master data, valid beyond this order.
 */
export const ensureCustomerStep = defineStep<OrderFlowInput, Pick<WithCustomer, 'customerNo' | 'crmAccountId'>, OrderFlowDeps>({
  id: ENSURE_CUSTOMER,
  async invoke(state, { erp, crm, links, linker }, ctx) {
    const parsed = parseCustomerId(state.customerId);
    const [link] = await links.findByIds([state.customerId]);
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
