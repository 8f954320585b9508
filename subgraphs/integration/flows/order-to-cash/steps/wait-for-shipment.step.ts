import { defineStep, type StepContext } from '../../engine/flow-step';
import { tellCrm } from '../milestones';
import type { OrderFlowDeps, WithShipment } from '../order-flow.types';
import { shortOf } from './plan-production.step';

/** Step name in the step log and in idempotency keys. */
export const WAIT_FOR_SHIPMENT = 'wait-for-shipment';

/**
 * Waits until the warehouse confirms the shipment (the order is SHIPPED), then tells the CRM.
 * A real ERP can lose a reservation after the order was made ready (a user ships the units to
 * another customer, or another order's reservation takes them): the warehouse then cannot ship,
 * and waiting alone would wait for ever. So each look also checks that the order is still covered,
 * and for a manufactured product that is not, with nothing being produced for it, plans a
 * production order for what is missing; its completion reserves the output for the order. A
 * purchased product that is short is left to the warehouse (stock may arrive).
 */
export const waitForShipmentStep = defineStep<WithShipment, unknown, OrderFlowDeps>({
  id: WAIT_FOR_SHIPMENT,
  async invoke(state, deps, ctx) {
    const [shipment] = await deps.erp.getShipments([state.shipmentId]);
    if (shipment && (shipment.status === 'SHIPPED' || shipment.status === 'DELIVERED')) {
      await tellCrm(deps, state, ctx, 'shipped', [shipment.carrier, shipment.trackingNumber].filter(Boolean).join(' '));
      return { kind: 'done' };
    }
    const producing = shipment?.status === 'PENDING' ? await productionForLostReservations(state, deps, ctx) : [];
    return {
      kind: 'waiting',
      on: [
        { entity: 'shipment', entityId: state.shipmentId, seenVersion: shipment?.version },
        ...producing.map((production) => ({ entity: 'production_order', entityId: production.id, seenVersion: production.version })),
      ],
    };
  },
});

/**
 * The open production orders that cover what the order misses: those already under way, and new
 * ones for manufactured products that are short with nothing being produced. Keyed by how many of
 * the product's productions for the order have completed, so a retried look plans each round once.
 */
async function productionForLostReservations(state: WithShipment, deps: OrderFlowDeps, ctx: StepContext) {
  const [order] = await deps.erp.getSalesOrders([state.salesOrderId]);
  if (!order) return [];
  const short = shortOf(order);
  if (short.size === 0) return [];
  const productions = await deps.erp.listProductionOrdersBySalesOrders([order.id]);
  const open = productions.filter((p) => p.status !== 'COMPLETED' && p.status !== 'CANCELLED');
  const products = new Map((await deps.erp.getProducts([...short.keys()])).map((p) => [p.sku, p]));
  const planned = [];
  for (const [sku, quantity] of [...short].sort(([a], [b]) => a.localeCompare(b))) {
    if (!products.get(sku)?.manufactured || open.some((p) => p.sku === sku)) continue;
    const round = productions.filter((p) => p.sku === sku && p.status === 'COMPLETED').length;
    planned.push(await deps.erp.createProductionOrder({ sku, quantity, salesOrderId: order.id }, ctx.key(`replan:${sku}:${round}`)));
    ctx.logger.warn({ salesOrderId: order.id, sku, quantity }, 'the order lost its reservation after it was made ready: production planned again');
  }
  return [...open, ...planned];
}
