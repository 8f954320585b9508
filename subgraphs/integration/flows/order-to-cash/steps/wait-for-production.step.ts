import { AppError, ErrorCode } from '../../../../../platform/errors';
import { defineStep } from '../../engine/flow-step';
import type { OrderFlowDeps, Planned } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const WAIT_FOR_PRODUCTION = 'wait-for-production';

/**
 * Waits until every production order of the order is completed (the ERP stocks the output and
 * reserves it for the order). A production order cancelled by someone else cannot deliver, so
 * the order cannot be completed: OUT_OF_STOCK, and the flow compensates.
 */
export const waitForProductionStep = defineStep<Planned, unknown, OrderFlowDeps>({
  id: WAIT_FOR_PRODUCTION,
  async invoke(state, { erp }) {
    const ids = state.productionOrderIds;
    if (ids.length === 0) return { kind: 'skipped' };
    const orders = await erp.getProductionOrders(ids);
    const cancelled = orders.find((o) => o.status === 'CANCELLED');
    if (cancelled) throw new AppError(ErrorCode.OUT_OF_STOCK, `OUT_OF_STOCK: production order ${cancelled.id} for ${cancelled.sku} was cancelled`);
    if (orders.length === ids.length && orders.every((o) => o.status === 'COMPLETED')) return { kind: 'done' };
    return {
      kind: 'waiting',
      on: ids.map((id) => ({ entity: 'production_order', entityId: id, seenVersion: orders.find((o) => o.id === id)?.version })),
    };
  },
});
