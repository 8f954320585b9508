/** Sends one GraphQL operation to the gateway as a user of `role`. */
export type GatewayCall = (query: string, variables?: Record<string, unknown>, options?: { role?: string }) => Promise<{ data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;

/** A flow as the driver reads it through the gateway. */
export interface DrivenFlow {
  id: string;
  status: string;
  error: string | null;
  salesOrder: { id: string } | null;
  steps: { name: string; status: string; attempts: number; startedAt: string | null; finishedAt: string | null }[];
}

const FLOW = `query ($id: ID!) { orderFlow(id: $id) { id status error salesOrder { id } steps { name status attempts startedAt finishedAt } } }`;
const ORDER = `query ($id: ID!) { salesOrder(id: $id) { id status productionOrders { id status } shipments { id status } invoices { id status amountDue { amount } } } }`;

/** What the shop floor, the warehouse and finance send, with the role each acts as. */
export const DEPARTMENT_ACTIONS = {
  completeProduction: { role: 'operations', query: 'mutation ($id: ID!) { completeProductionOrder(id: $id) { id } }' },
  confirmShipment: { role: 'operations', query: 'mutation ($id: ID!) { confirmShipment(id: $id, carrier: "DHL", trackingNumber: "BENCH") { id } }' },
  recordPayment: { role: 'finance', query: 'mutation ($id: ID!, $amount: Decimal!) { recordPayment(invoiceId: $id, amount: $amount) { id } }' },
} as const;

/** What the ERP holds for one sales order, read through the gateway. */
export interface DrivenOrder {
  id: string;
  status: string;
  productionOrders: { id: string; status: string }[];
  shipments: { id: string; status: string }[];
  invoices: { id: string; status: string; amountDue: { amount: string } }[];
}

const COMPLETED = `query ($after: String) {
  orderFlows(status: COMPLETED, first: 100, after: $after) {
    nodes { id status error startedAt updatedAt salesOrder { id } steps { name status attempts startedAt finishedAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Every COMPLETED flow with its steps, page by page. */
export async function completedFlows(gql: GatewayCall): Promise<(DrivenFlow & { startedAt: string; updatedAt: string })[]> {
  const all = [];
  let after: string | null = null;
  do {
    const answer = await gql(COMPLETED, { after }, { role: 'admin' });
    if (answer.errors?.length) throw new Error(answer.errors.map((e) => e.message).join('; '));
    all.push(...answer.data.orderFlows.nodes);
    after = answer.data.orderFlows.pageInfo.hasNextPage ? answer.data.orderFlows.pageInfo.endCursor : null;
  } while (after);
  return all;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function ok<T>(call: ReturnType<GatewayCall>, field: string): Promise<T> {
  const answer = await call;
  if (answer.errors?.length) throw new Error(`${field}: ${answer.errors.map((e) => `${e.extensions?.code ?? ''} ${e.message}`).join('; ')}`);
  if (!answer.data) throw new Error(`${field}: the answer carried neither data nor errors (the API is overloaded or down)`);
  return answer.data[field] as T;
}

/**
 * Plays the people around an order flow through the API: the shop floor completes production, the
 * warehouse confirms the shipment, finance records the payment, until the flow is COMPLETED.
 */
export class OrderFlowDriver {
  constructor(
    private readonly gql: GatewayCall,
    private readonly options: { pollMs?: number; timeoutMs?: number } = {},
  ) {}

  /** Reads the flow. */
  flow(id: string): Promise<DrivenFlow> {
    return ok<DrivenFlow>(this.gql(FLOW, { id }, { role: 'admin' }), 'orderFlow');
  }

  /** Reads the ERP side of an order. */
  order(id: string): Promise<DrivenOrder> {
    return ok<DrivenOrder>(this.gql(ORDER, { id }, { role: 'admin' }), 'salesOrder');
  }

  /**
   * Starts a flow from order lines. A call that timed out may still have started the flow, so it
   * is sent again with the same key, which answers the same flow and never a second order.
   */
  async placeOrder(customerId: string, lines: { sku: string; quantity: number }[], idempotencyKey: string): Promise<DrivenFlow> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.placeOrderOnce(customerId, lines, idempotencyKey);
      } catch (error) {
        const message = String(error);
        if (attempt >= 5 || !(message.includes('UPSTREAM_UNAVAILABLE') || message.includes('neither data nor errors') || message.includes('fetch failed'))) throw error;
        await sleep(500 * attempt);
      }
    }
  }

  private placeOrderOnce(customerId: string, lines: { sku: string; quantity: number }[], idempotencyKey: string): Promise<DrivenFlow> {
    return ok<DrivenFlow>(
      this.gql(`mutation ($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key) { id status error salesOrder { id } steps { name status attempts startedAt finishedAt } } }`, { input: { customerId, lines }, key: idempotencyKey }, { role: 'admin' }),
      'placeOrder',
    );
  }

  /** Polls the flow until `done` holds (retrying through outages of the API). */
  async until(id: string, done: (flow: DrivenFlow) => boolean): Promise<DrivenFlow> {
    const deadline = Date.now() + (this.options.timeoutMs ?? 120_000);
    let last: DrivenFlow | undefined;
    let lastError: unknown;
    for (;;) {
      try {
        last = await this.flow(id);
        if (done(last)) return last;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) throw new Error(`flow ${id} did not get there in time; last: ${JSON.stringify(last)} ${lastError ?? ''}`);
      await sleep(this.options.pollMs ?? 200);
    }
  }

  /** Drives a started flow to its end, acting for production, warehouse and finance; returns the final flow. */
  async driveToEnd(id: string): Promise<DrivenFlow> {
    const ended = (f: DrivenFlow) => ['COMPLETED', 'COMPENSATED', 'FAILED'].includes(f.status);
    const stepDone = (f: DrivenFlow, name: string) => f.steps.some((s) => s.name === name && (s.status === 'DONE' || s.status === 'SKIPPED'));
    for (;;) {
      const flow = await this.until(id, (f) => ended(f) || (f.status === 'WAITING' && f.steps.some((s) => s.status === 'WAITING')));
      if (ended(flow)) return flow;
      const waiting = flow.steps.find((s) => s.status === 'WAITING')!.name;
      const order = await this.order(flow.salesOrder!.id);
      // Production completes every open production order, also one the flow planned again at
      // wait-for-shipment after its order lost the units reserved for it.
      if (waiting === 'wait-for-production' || waiting === 'wait-for-shipment') {
        for (const production of order.productionOrders.filter((p) => p.status !== 'COMPLETED' && p.status !== 'CANCELLED')) {
          const { query, role } = DEPARTMENT_ACTIONS.completeProduction;
          await ok(this.gql(query, { id: production.id }, { role }), 'completeProductionOrder');
        }
      }
      if (waiting === 'wait-for-shipment') {
        for (const shipment of order.shipments.filter((s) => s.status === 'PENDING')) {
          const { query, role } = DEPARTMENT_ACTIONS.confirmShipment;
          await ok(this.gql(query, { id: shipment.id }, { role }), 'confirmShipment');
        }
      } else if (waiting === 'wait-for-payment') {
        for (const invoice of order.invoices.filter((i) => i.status === 'OPEN' || i.status === 'OVERDUE')) {
          const { query, role } = DEPARTMENT_ACTIONS.recordPayment;
          await ok(this.gql(query, { id: invoice.id, amount: invoice.amountDue.amount }, { role }), 'recordPayment');
        }
      }
      await this.until(id, (f) => ended(f) || stepDone(f, waiting));
    }
  }
}
