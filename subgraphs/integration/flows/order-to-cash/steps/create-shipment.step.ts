import { defineStep } from '../../engine/flow-step';
import type { OrderFlowDeps, Planned, WithShipment } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const CREATE_SHIPMENT = 'create-shipment';

/**
 * Creates the PENDING shipment of the reserved goods (the order becomes READY_TO_SHIP). Undo: the
 * shipment is cancelled, so the warehouse is not left with one to pick; the goods it covered are
 * released with the reservations (an earlier step's undo); production that wait-for-shipment
 * planned again after a lost reservation is cancelled while not completed.
 */
export const createShipmentStep = defineStep<Planned, Pick<WithShipment, 'shipmentId'>, OrderFlowDeps, { shipmentId: string }>({
  id: CREATE_SHIPMENT,
  async invoke(state, { erp }, ctx) {
    const shipment = await erp.createShipment(state.salesOrderId, ctx.key());
    return { kind: 'done', output: { shipmentId: shipment.id }, compensation: { shipmentId: shipment.id } };
  },
  async compensate({ shipmentId }, state, { erp }, ctx) {
    await erp.cancelShipment(shipmentId, ctx.key());
    // Production wait-for-shipment planned again after a lost reservation (plan-production undoes its own).
    const later = (await erp.listProductionOrdersBySalesOrders([state.salesOrderId])).filter((p) => !state.productionOrderIds.includes(p.id));
    for (const production of later) {
      if (production.status === 'COMPLETED' || production.status === 'CANCELLED') continue;
      await erp.cancelProductionOrder(production.id, ctx.key(production.id));
    }
  },
});
