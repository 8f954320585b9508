import type { StepContext } from '../engine/flow-step';
import type { OrderFlowDeps, OrderFlowState } from './order-flow.types';

/** The milestones the CRM hears of, by the activity subject's verb. */
export type Milestone = 'confirmed' | 'in production' | 'shipped' | 'invoiced' | 'paid' | 'cancelled';

/**
 * Writes a SYSTEM activity naming the order to the customer's CRM account (none for a customer
 * only the ERP knows). The idempotency key is per milestone, so a re-run step writes it once.
 */
export async function tellCrm(deps: OrderFlowDeps, state: OrderFlowState, ctx: StepContext, milestone: Milestone, detail?: string): Promise<void> {
  if (!state.crmAccountId || !state.salesOrderId) return;
  await deps.crm.createActivity(
    {
      accountId: state.crmAccountId,
      type: 'SYSTEM',
      subject: `Order ${state.salesOrderId} ${milestone}${detail ? ` (${detail})` : ''}`,
      erpSalesOrderId: state.salesOrderId,
    },
    ctx.key(`activity-${milestone.replace(/ /g, '-')}`),
  );
}
