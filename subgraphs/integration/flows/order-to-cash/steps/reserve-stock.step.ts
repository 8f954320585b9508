import { defineStep } from '../../engine/flow-step';
import type { OrderFlowDeps, WithSalesOrder } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const RESERVE_STOCK = 'reserve-stock';

/**
 * Reserves what is available for every line, atomically in the ERP (two orders never get the same
 * last unit). Undo: every reservation of the order is released.
 */
export const reserveStockStep = defineStep<WithSalesOrder, unknown, OrderFlowDeps, { salesOrderId: string }>({
  id: RESERVE_STOCK,
  async invoke(state, { erp }, ctx) {
    const order = await erp.reserveStock(state.salesOrderId, ctx.key());
    const reserved = order.lines.reduce((sum, l) => sum + l.reservedQuantity, 0);
    ctx.logger.info({ salesOrderId: order.id, reserved }, 'stock reserved');
    return { kind: 'done', compensation: { salesOrderId: order.id } };
  },
  async compensate({ salesOrderId }, _state, { erp }, ctx) {
    await erp.releaseReservations(salesOrderId, ctx.key());
  },
});
