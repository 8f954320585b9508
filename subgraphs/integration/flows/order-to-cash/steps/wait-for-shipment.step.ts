import { defineStep } from '../../engine/flow-step';
import { tellCrm } from '../milestones';
import type { OrderFlowDeps, WithShipment } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const WAIT_FOR_SHIPMENT = 'wait-for-shipment';

/** Waits until the warehouse confirms the shipment (the order is SHIPPED), then tells the CRM. */
export const waitForShipmentStep = defineStep<WithShipment, unknown, OrderFlowDeps>({
  id: WAIT_FOR_SHIPMENT,
  async invoke(state, deps, ctx) {
    const [shipment] = await deps.erp.getShipments([state.shipmentId]);
    if (shipment && (shipment.status === 'SHIPPED' || shipment.status === 'DELIVERED')) {
      await tellCrm(deps, state, ctx, 'shipped', [shipment.carrier, shipment.trackingNumber].filter(Boolean).join(' '));
      return { kind: 'done' };
    }
    return {
      kind: 'waiting',
      on: [{ entity: 'shipment', entityId: state.shipmentId, seenVersion: shipment?.version }],
    };
  },
});
