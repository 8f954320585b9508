import { useState } from 'react';
import { type Session, can, gql } from '../api';
import { ago, dateTime, stepName } from '../format';
import { Link } from '../router';
import { Card, Empty, Notice, PageHeader, StatusBadge, useLive, usePoll } from '../ui';

/** A flow in a list. */
export interface FlowRow {
  id: string;
  status: string;
  error: string | null;
  startedAt: string;
  updatedAt: string;
  customer: { id: string; name: string } | null;
  salesOrder: { id: string; number: string | null } | null;
  steps: { name: string; status: string; attempts: number }[];
}

const FLOW_FIELDS = `id status error startedAt updatedAt customer { id name } salesOrder { id number } steps { name status attempts }`;
const LIST = `query ConsoleFlows($first: Int!, $after: String, $status: OrderFlowStatus, $customerId: ID) {
  orderFlows(first: $first, after: $after, status: $status, customerId: $customerId) { totalCount pageInfo { hasNextPage endCursor } nodes { ${FLOW_FIELDS} } }
}`;
const ATTENTION = `query ConsoleFlowsAttention {
  failed: orderFlows(first: 50, status: FAILED) { totalCount nodes { ${FLOW_FIELDS} } }
  running: orderFlows(first: 100, status: RUNNING) { nodes { ${FLOW_FIELDS} } }
  compensating: orderFlows(first: 50, status: COMPENSATING) { nodes { ${FLOW_FIELDS} } }
}`;

const CREDIT_REVIEWS = `query ConsoleCreditReviews {
  creditReviews(first: 50) { totalCount nodes { orderFlow { ${FLOW_FIELDS} } } }
}`;

/** A typed filter that is a whole Customer.id is asked of the API; anything else filters the page. */
const CUSTOMER_ID = /^(crm|erp):\S+$/i;

const STATUSES = ['RUNNING', 'WAITING', 'RETRYING', 'COMPLETED', 'FAILED', 'COMPENSATING', 'COMPENSATED'];
/** A flow that has run a step for this long without moving is stuck: the engine normally takes seconds. */
export const STUCK_AFTER_MS = 10 * 60 * 1000;
const AGES: Record<string, { label: string; test: (ageMs: number) => boolean }> = {
  any: { label: 'Any age', test: () => true },
  hour: { label: 'Started in the last hour', test: (ms) => ms <= 3_600_000 },
  day: { label: 'Started in the last 24 h', test: (ms) => ms <= 86_400_000 },
  older: { label: 'Older than 24 h', test: (ms) => ms > 86_400_000 },
};
const PAGE = 25;

/** The step a flow is at: the first one not done. */
export function currentStep(flow: FlowRow): FlowRow['steps'][number] | undefined {
  return flow.steps.find((s) => s.status === 'FAILED') ?? flow.steps.find((s) => !['DONE', 'SKIPPED', 'COMPENSATED'].includes(s.status));
}

function isStuck(flow: FlowRow, now: number): boolean {
  return (flow.status === 'RUNNING' || flow.status === 'COMPENSATING') && now - Date.parse(flow.updatedAt) > STUCK_AFTER_MS;
}

function FlowTable({ flows, caption }: { flows: FlowRow[]; caption: string }) {
  const now = Date.now();
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Flow</th>
            <th scope="col">Customer</th>
            <th scope="col">Status</th>
            <th scope="col">At step</th>
            <th scope="col">Started</th>
            <th scope="col">Last change</th>
          </tr>
        </thead>
        <tbody>
          {flows.map((flow) => {
            const step = currentStep(flow);
            return (
              <tr key={flow.id}>
                <td data-label="Flow">
                  <Link to={`/flows/${encodeURIComponent(flow.id)}`} className="mono">
                    {flow.salesOrder?.number ?? flow.id.slice(0, 8)}
                  </Link>
                </td>
                <td data-label="Customer">{flow.customer?.name ?? <span className="muted">not visible</span>}</td>
                <td data-label="Status">
                  <StatusBadge status={flow.status} />
                  {isStuck(flow, now) && <StatusBadge status="STUCK" label="Stuck" />}
                </td>
                <td data-label="At step">
                  {step ? `${stepName(step.name)}${step.attempts > 1 ? ` (attempt ${step.attempts})` : ''}` : '—'}
                  {flow.status === 'FAILED' && flow.error && <div className="cell-error">{flow.error}</div>}
                </td>
                <td data-label="Started" title={dateTime(flow.startedAt)}>
                  {ago(flow.startedAt, now)}
                </td>
                <td data-label="Last change" title={dateTime(flow.updatedAt)}>
                  {ago(flow.updatedAt, now)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Order flows: the ones that need someone first, then every flow page by page, filterable. */
export function FlowsPage({ session }: { session: Session }) {
  const [status, setStatus] = useState('');
  const [customer, setCustomer] = useState('');
  const [age, setAge] = useState('any');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1];

  const attention = usePoll(() => gql<{ failed: { totalCount: number; nodes: FlowRow[] }; running: { nodes: FlowRow[] }; compensating: { nodes: FlowRow[] } }>(ATTENTION).then((r) => r.data), 5000, []);
  const reviewsCredit = can.reviewCredit(session.role);
  const awaitingFinance = usePoll(
    () => (reviewsCredit ? gql<{ creditReviews: { totalCount: number; nodes: { orderFlow: FlowRow }[] } }>(CREDIT_REVIEWS).then((r) => r.data.creditReviews) : Promise.resolve(null)),
    5000,
    [reviewsCredit],
  );
  const customerId = CUSTOMER_ID.test(customer.trim()) ? customer.trim() : null;
  const list = usePoll(
    () => gql<{ orderFlows: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: FlowRow[] } }>(LIST, { first: PAGE, after, status: status || null, customerId }).then((r) => r.data.orderFlows),
    5000,
    [status, after, customerId],
  );

  // Any flow the user may see changing re-reads the lists (throttled); the polls are the fallback.
  useLive(`subscription ConsoleFlowsUpdated { orderFlowUpdated { id status } }`, {}, () => {
    attention.reload();
    list.reload();
    awaitingFinance.reload();
  }, [], 1000);

  const now = Date.now();
  const needsAttention = attention.data
    ? [...attention.data.failed.nodes, ...[...attention.data.running.nodes, ...attention.data.compensating.nodes].filter((f) => isStuck(f, now))]
    : [];
  const needle = customerId ? '' : customer.trim().toLowerCase();
  const shown = (list.data?.nodes ?? []).filter(
    (f) => (!needle || `${f.customer?.name ?? ''} ${f.customer?.id ?? ''}`.toLowerCase().includes(needle)) && AGES[age].test(now - Date.parse(f.startedAt)),
  );
  const changeStatus = (value: string) => {
    setStatus(value);
    setCursors([null]);
  };

  return (
    <>
      <PageHeader title="Order flows" subtitle="Every order on its way from sales order to payment. Failed and stuck flows come first." />
      <Card title={`Needs attention${attention.data ? ` (${needsAttention.length})` : ''}`}>
        {attention.error && <Notice tone="bad">{attention.error}</Notice>}
        {attention.data && needsAttention.length === 0 && <Empty>No failed or stuck flows. Nothing needs you right now.</Empty>}
        {needsAttention.length > 0 && <FlowTable flows={needsAttention} caption="Failed and stuck flows" />}
      </Card>

      {awaitingFinance.data && (
        <Card title={`Waiting for your credit decision (${awaitingFinance.data.totalCount})`}>
          {awaitingFinance.data.nodes.length === 0 ? (
            <Empty>No order waits for a credit decision.</Empty>
          ) : (
            <FlowTable flows={awaitingFinance.data.nodes.map((n) => n.orderFlow)} caption="Orders over their customer's credit, oldest first" />
          )}
        </Card>
      )}

      <Card title="All flows">
        <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter flows">
          <div className="field">
            <label htmlFor="flow-status">Status</label>
            <select id="flow-status" value={status} onChange={(e) => changeStatus(e.target.value)}>
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s.charAt(0) + s.slice(1).toLowerCase()}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="flow-customer">Customer</label>
            <input id="flow-customer" type="search" value={customer} placeholder="Name, or an id such as crm:…" onChange={(e) => { setCustomer(e.target.value); setCursors([null]); }} />
          </div>
          <div className="field">
            <label htmlFor="flow-age">Age</label>
            <select id="flow-age" value={age} onChange={(e) => setAge(e.target.value)}>
              {Object.entries(AGES).map(([key, a]) => (
                <option key={key} value={key}>
                  {a.label}
                </option>
              ))}
            </select>
          </div>
        </form>
        {list.error && <Notice tone="bad">{list.error}</Notice>}
        {list.data && shown.length === 0 && <Empty>No flows match these filters on this page.</Empty>}
        {shown.length > 0 && <FlowTable flows={shown} caption="Order flows" />}
        {list.data && (
          <div className="pager">
            <span>
              Page {cursors.length} · {list.data.totalCount} flows{status ? ` ${status.toLowerCase()}` : ''}
              {needle || age !== 'any' ? ` · customer and age filter this page` : ''}
            </span>
            <div className="pager-buttons">
              <button type="button" className="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
                Previous
              </button>
              <button type="button" className="button" disabled={!list.data.pageInfo.hasNextPage} onClick={() => setCursors([...cursors, list.data!.pageInfo.endCursor])}>
                Next
              </button>
            </div>
          </div>
        )}
      </Card>
    </>
  );
}
