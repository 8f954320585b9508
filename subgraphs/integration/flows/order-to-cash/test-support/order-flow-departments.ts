import { DEPARTMENT_ACTIONS, type GatewayCall } from './order-flow-driver';

/** A waiting flow as the departments see it in their work list. */
interface WaitingFlow {
  id: string;
  steps: { name: string; status: string }[];
  salesOrder: {
    id: string;
    productionOrders: { id: string; status: string }[];
    shipments: { id: string; status: string }[];
    invoices: { id: string; status: string; amountDue: { amount: string } }[];
  } | null;
}

const WORK_LIST = `query ($after: String) {
  orderFlows(status: WAITING, first: 100, after: $after) {
    nodes { id steps { name status } salesOrder { id productionOrders { id status } shipments { id status } invoices { id status amountDue { amount } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const FINISHED = `{
  completed: orderFlows(status: COMPLETED, first: 1) { totalCount }
  compensated: orderFlows(status: COMPENSATED, first: 1) { totalCount }
  failed: orderFlows(status: FAILED, first: 1) { totalCount }
}`;

/** How many flows ended, by how. */
export interface FinishedCounts {
  completed: number;
  compensated: number;
  failed: number;
}

/**
 * Plays the shop floor, the warehouse and finance the way they work a queue: every `pollMs` they
 * read the waiting flows page by page (one query for up to 100 flows with their orders) and
 * complete the production orders, confirm the shipments and record the payments those flows wait
 * on, through the API with their own roles. Unlike the per-flow driver, the cost of watching does
 * not grow with every flow polled on its own, so a bench measures the flows, not the watching.
 */
export class OrderFlowDepartments {
  private readonly handled = new Set<string>();
  private actions = 0;

  constructor(
    private readonly gql: GatewayCall,
    private readonly options: { pollMs?: number; parallel?: number; onError?: (error: unknown) => void } = {},
  ) {}

  /** How many production completions, shipment confirmations and payments were sent. */
  get actionsTaken(): number {
    return this.actions;
  }

  /** How many flows have ended so far. */
  async finished(): Promise<FinishedCounts> {
    const answer = await this.gql(FINISHED, {}, { role: 'admin' });
    if (answer.errors?.length) throw new Error(answer.errors.map((e) => e.message).join('; '));
    return { completed: answer.data.completed.totalCount, compensated: answer.data.compensated.totalCount, failed: answer.data.failed.totalCount };
  }

  /** Works the queue until `total` flows have ended or `timeoutMs` passed; returns the counts. */
  async workUntil(total: number, timeoutMs: number): Promise<FinishedCounts> {
    const deadline = Date.now() + timeoutMs;
    let counts: FinishedCounts = { completed: 0, compensated: 0, failed: 0 };
    for (;;) {
      const started = Date.now();
      try {
        await this.workOnce();
        counts = await this.finished();
        if (counts.completed + counts.compensated + counts.failed >= total) return counts;
      } catch (error) {
        // A busy API answering late is part of the day: the next pass picks the work up again.
        this.options.onError?.(error);
      }
      if (Date.now() > deadline) throw new Error(`only ${JSON.stringify(counts)} of ${total} flows ended in time`);
      const rest = (this.options.pollMs ?? 250) - (Date.now() - started);
      if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    }
  }

  /** One pass over the waiting flows; returns how many actions it sent. */
  async workOnce(): Promise<number> {
    const actions: (() => Promise<void>)[] = [];
    let after: string | null = null;
    do {
      const answer = await this.gql(WORK_LIST, { after }, { role: 'admin' });
      if (answer.errors?.length) throw new Error(answer.errors.map((e) => e.message).join('; '));
      const page: { nodes: WaitingFlow[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } = answer.data.orderFlows;
      for (const flow of page.nodes) actions.push(...this.actionsFor(flow));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(this.options.parallel ?? 16, actions.length) }, async () => {
        while (next < actions.length) await actions[next++]();
      }),
    );
    return actions.length;
  }

  private actionsFor(flow: WaitingFlow): (() => Promise<void>)[] {
    const waiting = flow.steps.find((s) => s.status === 'WAITING')?.name;
    const order = flow.salesOrder;
    if (!waiting || !order) return [];
    // Keys name the kind too: an ERP may number productions, shipments and invoices from 1 each (Tryton does).
    const once = (key: string, { role, query }: { role: string; query: string }, variables: Record<string, unknown>) => {
      if (this.handled.has(key)) return [];
      this.handled.add(key);
      return [
        async () => {
          this.actions++;
          const answer = await this.gql(query, variables, { role });
          // Not handled after all: the next pass tries again.
          if (answer.errors?.length) this.handled.delete(key);
        },
      ];
    };
    // The shop floor works every open production order of a waiting flow: also one the flow planned
    // again at wait-for-shipment, after its order lost the units reserved for it.
    const openProductions = () =>
      order.productionOrders
        .filter((p) => p.status !== 'COMPLETED' && p.status !== 'CANCELLED')
        .flatMap((p) => once(`production:${p.id}`, DEPARTMENT_ACTIONS.completeProduction, { id: p.id }));
    if (waiting === 'wait-for-production') return openProductions();
    if (waiting === 'wait-for-shipment') {
      return [
        ...openProductions(),
        ...order.shipments.filter((s) => s.status === 'PENDING').flatMap((s) => once(`shipment:${s.id}`, DEPARTMENT_ACTIONS.confirmShipment, { id: s.id })),
      ];
    }
    if (waiting === 'wait-for-payment') {
      return order.invoices
        .filter((i) => i.status === 'OPEN' || i.status === 'OVERDUE')
        .flatMap((i) => once(`invoice:${i.id}`, DEPARTMENT_ACTIONS.recordPayment, { id: i.id, amount: i.amountDue.amount }));
    }
    return [];
  }
}
