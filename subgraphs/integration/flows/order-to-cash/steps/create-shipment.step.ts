import { defineStep } from '../../engine/flow-step';
import type { OrderFlowDeps, OrderFlowState } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const CREATE_SHIPMENT = 'create-shipment';

/**
 * Creates the PENDING shipment of the reserved goods (the order becomes READY_TO_SHIP). Nothing
 * to undo here: a pending shipment of a cancelled order can never be confirmed, and cancelling the
 * order (an earlier step's undo) gives its stock back.
 */
export const createShipmentStep = defineStep<OrderFlowState, OrderFlowDeps>({
  id: CREATE_SHIPMENT,
  async invoke(state, { erp }, ctx) {
    const shipment = await erp.createShipment(state.salesOrderId!, ctx.key());
    return { kind: 'done', output: { shipmentId: shipment.id } };
  },
});
