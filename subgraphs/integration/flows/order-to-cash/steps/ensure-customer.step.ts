import { parseCustomerId } from '../../../../../platform/customer-id';
import { AppError, ErrorCode } from '../../../../../platform/errors';
import { defineStep } from '../../engine/flow-step';
import type { OrderFlowDeps, OrderFlowInput, WithCustomer } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const ENSURE_CUSTOMER = 'ensure-customer';

/**
 * Makes sure the customer exists in the ERP: a customer the CRM alone knows gets an ERP customer
 * referring to its account, the ERP number is written back to the account and the link is kept.
 * Nothing to undo: the customer is master data, valid beyond this order.
 */
export const ensureCustomerStep = defineStep<OrderFlowInput, Pick<WithCustomer, 'customerNo' | 'crmAccountId'>, OrderFlowDeps>({
  id: ENSURE_CUSTOMER,
  async invoke(state, { erp, crm, links }, ctx) {
    const parsed = parseCustomerId(state.customerId);
    const [link] = await links.findByIds([state.customerId]);
    const crmAccountId = link?.crmAccountId ?? (parsed.origin === 'crm' ? parsed.localId.toLowerCase() : null);
    let customerNo = link?.erpCustomerNo ?? (parsed.origin === 'erp' ? parsed.localId : null);
    if (customerNo) {
      const [customer] = await erp.getCustomers([customerNo]);
      if (!customer) throw new AppError(ErrorCode.NOT_FOUND, `ERP customer ${customerNo} of ${state.customerId} does not exist`);
      return { kind: 'done', output: { customerNo, crmAccountId } };
    }
    const [account] = crmAccountId ? await crm.getAccounts([crmAccountId]) : [];
    if (!account) throw new AppError(ErrorCode.NOT_FOUND, `customer ${state.customerId} exists in neither system`);
    const [existing] = account.erpCustomerNo ? await erp.getCustomers([account.erpCustomerNo]) : await erp.findCustomersByExternalRefs([account.id]);
    const customer =
      existing ??
      (await erp.createCustomer(
        { name: account.name, email: account.email, industry: account.industry, country: account.country, externalRef: account.id },
        ctx.key('erp-customer'),
      ));
    customerNo = customer.customerNo;
    if (account.erpCustomerNo !== customerNo) await crm.updateAccount(account.id, { erpCustomerNo: customerNo }, ctx.key('crm-account-link'));
    const now = new Date().toISOString();
    if (link) await links.update(link.id, { erpCustomerNo: customerNo, syncState: 'IN_SYNC', syncError: null, lastSyncedAt: now });
    else await links.insert({ id: state.customerId, crmAccountId, erpCustomerNo: customerNo, syncState: 'IN_SYNC', lastSyncedAt: now });
    ctx.logger.info({ customerNo }, 'customer created in the ERP for the order');
    return { kind: 'done', output: { customerNo, crmAccountId } };
  },
});
