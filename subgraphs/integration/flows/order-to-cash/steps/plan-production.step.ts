import type { ErpSalesOrder } from '../../../../../connectors/erp/erp.connector';
import { AppError, ErrorCode } from '../../../../../platform/errors';
import { defineStep } from '../../engine/flow-step';
import { tellCrm } from '../milestones';
import type { OrderFlowDeps, Planned, WithSalesOrder } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const PLAN_PRODUCTION = 'plan-production';

/** Per SKU, the units of the order neither reserved nor shipped (also wait-for-shipment's test of a lost reservation). */
export function shortOf(order: ErpSalesOrder): Map<string, number> {
  const short = new Map<string, number>();
  for (const line of order.lines) {
    const missing = line.quantity - line.reservedQuantity - line.shippedQuantity;
    if (missing > 0) short.set(line.sku, (short.get(line.sku) ?? 0) + missing);
  }
  return short;
}

/**
 * Covers what could not be reserved: a manufactured product gets a production order for the
 * shortage (the ERP moves the order IN_PRODUCTION); a purchased product that is short fails the
 * flow with OUT_OF_STOCK, before any production is planned. Undo: production orders not yet
 * completed are cancelled.
 */
export const planProductionStep = defineStep<WithSalesOrder, Pick<Planned, 'productionOrderIds'>, OrderFlowDeps, { productionOrderIds: string[] }>({
  id: PLAN_PRODUCTION,
  async invoke(state, deps, ctx) {
    const [order] = await deps.erp.getSalesOrders([state.salesOrderId]);
    const short = shortOf(order);
    if (short.size === 0) return { kind: 'skipped', output: { productionOrderIds: [] } };
    const products = new Map((await deps.erp.getProducts([...short.keys()])).map((p) => [p.sku, p]));
    const purchased = [...short].filter(([sku]) => !products.get(sku)?.manufactured);
    if (purchased.length > 0) {
      const list = purchased.map(([sku, missing]) => `${missing} × ${sku}`).join(', ');
      throw new AppError(ErrorCode.OUT_OF_STOCK, `OUT_OF_STOCK: purchased products are short for order ${order.id}: ${list}`, {
        salesOrderId: order.id,
        short: Object.fromEntries(purchased),
      });
    }
    const productionOrderIds: string[] = [];
    for (const [sku, quantity] of [...short].sort(([a], [b]) => a.localeCompare(b))) {
      const production = await deps.erp.createProductionOrder({ sku, quantity, salesOrderId: order.id }, ctx.key(sku));
      productionOrderIds.push(production.id);
    }
    await tellCrm(deps, state, ctx, 'in production', productionOrderIds.join(', '));
    return { kind: 'done', output: { productionOrderIds }, compensation: { productionOrderIds } };
  },
  async compensate({ productionOrderIds }, _state, { erp }, ctx) {
    for (const production of await erp.getProductionOrders(productionOrderIds)) {
      // Completed output stays on stock (the order's release gives it back); cancelled is done already.
      if (production.status === 'COMPLETED' || production.status === 'CANCELLED') continue;
      await erp.cancelProductionOrder(production.id, ctx.key(production.id));
    }
  },
});
