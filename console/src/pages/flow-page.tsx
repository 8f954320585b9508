import { type Session, can, gql } from '../api';
import { dateTime, duration, errorInWords, money, stepDuration, stepName } from '../format';
import { Link } from '../router';
import { Card, ConfirmButton, Empty, Notice, PageHeader, StatusBadge, usePoll } from '../ui';

interface Step {
  name: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

interface Flow {
  id: string;
  status: string;
  error: string | null;
  startedAt: string;
  updatedAt: string;
  customer: { id: string; name: string; crmAccountId: string | null; erpCustomerNo: string | null } | null;
  opportunity: { id: string; name: string; stage: string; amount: { amount: string; currency: string } } | null;
  salesOrder: {
    id: string;
    number: string;
    status: string;
    total: { amount: string; currency: string };
    shipments: { id: string; number: string; status: string; carrier: string | null; trackingNumber: string | null; shippedAt: string | null }[] | null;
    invoices: { id: string; number: string; status: string; total: { amount: string; currency: string }; amountDue: { amount: string; currency: string }; dueDate: string }[] | null;
  } | null;
  steps: Step[];
}

// Invoices are non-null lists: asked by a role that may not see them, the whole sales order would
// answer null, so they are only asked for by roles that may read them.
const flowQuery = (invoices: boolean) => `query ConsoleFlow($id: ID!) {
  orderFlow(id: $id) {
    id status error startedAt updatedAt
    customer { id name crmAccountId erpCustomerNo }
    opportunity { id name stage amount { amount currency } }
    salesOrder { id number status total { amount currency }
      shipments { id number status carrier trackingNumber shippedAt }
      ${invoices ? 'invoices { id number status total { amount currency } amountDue { amount currency } dueDate }' : ''} }
    steps { name status attempts startedAt finishedAt error }
  }
}`;

const ENDED = ['COMPLETED', 'COMPENSATED'];

/** One order flow: its steps as a timeline, what it is linked to, and retry or cancel. */
export function FlowPage({ id, session }: { id: string; session: Session }) {
  const flow = usePoll(() => gql<{ orderFlow: Flow | null }>(flowQuery(can.seeInvoices(session.role)), { id }, { partial: true }).then((r) => r.data.orderFlow), 2000, [id]);
  const f = flow.data;

  const retry = async () => {
    await gql(`mutation ConsoleRetry($id: ID!) { retryOrderFlow(id: $id) { id status } }`, { id });
    flow.reload();
  };
  const cancel = async () => {
    await gql(`mutation ConsoleCancel($order: ID!) { cancelOrder(salesOrderId: $order, reason: "cancelled in the operations console") { id status } }`, { order: f!.salesOrder!.id });
    flow.reload();
  };
  const canChange = can.changeFlows(session.role);
  const cancellable = f?.salesOrder && !ENDED.includes(f.status) && f.status !== 'COMPENSATING' && !['SHIPPED', 'INVOICED', 'PAID', 'CANCELLED'].includes(f.salesOrder.status);

  return (
    <>
      <p className="breadcrumb">
        <Link to="/flows">Order flows</Link> <span aria-hidden="true">›</span> {f?.salesOrder?.number ?? id}
      </p>
      {flow.error && <Notice tone="bad">{flow.error}</Notice>}
      {flow.data === null && <Notice tone="info">There is no order flow {id}, or your role may not see it.</Notice>}
      {f && (
        <>
          <PageHeader
            title={`Order flow ${f.salesOrder?.number ?? ''}`.trim()}
            subtitle={
              <>
                <StatusBadge status={f.status} /> <span className="muted">started {dateTime(f.startedAt)} · last change {dateTime(f.updatedAt)}</span>
              </>
            }
            actions={
              canChange && (
                <>
                  {f.status === 'FAILED' && (
                    <ConfirmButton
                      label="Retry flow"
                      title="Retry this order flow?"
                      body={<p>The flow resumes at the step that failed. Steps already done are not repeated, and no second order, shipment or invoice is made.</p>}
                      confirmLabel="Retry now"
                      onConfirm={retry}
                    />
                  )}
                  {cancellable && (
                    <ConfirmButton
                      label="Cancel order"
                      danger
                      title={`Cancel sales order ${f.salesOrder!.number}?`}
                      body={<p>The order is cancelled and what the flow did is undone: reservations released, production orders cancelled, the CRM told. This cannot be reversed.</p>}
                      confirmLabel="Cancel the order"
                      onConfirm={cancel}
                    />
                  )}
                </>
              )
            }
          />
          {f.status === 'FAILED' && f.error && (
            <Notice tone="bad">
              <strong>Why it failed:</strong> {errorInWords(f.error)?.meaning ?? ''} {f.error}
            </Notice>
          )}
          <div className="grid-2">
            <Card title="Steps" className="span-2-md">
              <ol className="timeline">
                {f.steps.map((step) => {
                  const error = errorInWords(step.error);
                  return (
                    <li key={step.name} className={`timeline-item timeline-${step.status.toLowerCase()}`}>
                      <div className="timeline-dot" aria-hidden="true" />
                      <div className="timeline-body">
                        <div className="timeline-head">
                          <strong>{stepName(step.name)}</strong>
                          <StatusBadge status={step.status} />
                        </div>
                        <div className="timeline-meta">
                          {step.attempts > 0 ? `${step.attempts} attempt${step.attempts === 1 ? '' : 's'}` : 'not started'}
                          {step.startedAt && ` · took ${duration(stepDuration(step))}`}
                          {step.finishedAt && ` · finished ${dateTime(step.finishedAt)}`}
                        </div>
                        {error && (
                          <p className="timeline-error">
                            {error.meaning && <strong>{error.meaning} </strong>}
                            {error.detail}
                          </p>
                        )}
                      </div>
                    </li>
                  );
                })}
              </ol>
            </Card>
            <div className="stack">
              <Card title="Customer">
                {f.customer ? (
                  <dl className="facts">
                    <dt>Name</dt>
                    <dd>{f.customer.name}</dd>
                    <dt>Customer id</dt>
                    <dd className="mono">{f.customer.id}</dd>
                    <dt>ERP customer</dt>
                    <dd className="mono">{f.customer.erpCustomerNo ?? '—'}</dd>
                  </dl>
                ) : (
                  <Empty>Not visible to your role.</Empty>
                )}
              </Card>
              {f.opportunity && (
                <Card title="Opportunity (CRM)">
                  <dl className="facts">
                    <dt>Name</dt>
                    <dd>{f.opportunity.name}</dd>
                    <dt>Stage</dt>
                    <dd>
                      <StatusBadge status={f.opportunity.stage} />
                    </dd>
                    <dt>Amount</dt>
                    <dd>{money(f.opportunity.amount)}</dd>
                  </dl>
                </Card>
              )}
              {f.salesOrder && (
                <Card title="Sales order (ERP)">
                  <dl className="facts">
                    <dt>Number</dt>
                    <dd className="mono">{f.salesOrder.number}</dd>
                    <dt>Status</dt>
                    <dd>
                      <StatusBadge status={f.salesOrder.status} />
                    </dd>
                    <dt>Total</dt>
                    <dd>{money(f.salesOrder.total)}</dd>
                  </dl>
                </Card>
              )}
              {f.salesOrder?.shipments && (
                <Card title="Shipments">
                  {f.salesOrder.shipments.length === 0 ? (
                    <Empty>None yet.</Empty>
                  ) : (
                    <ul className="plain-list">
                      {f.salesOrder.shipments.map((s) => (
                        <li key={s.id}>
                          <span className="mono">{s.number}</span> <StatusBadge status={s.status} />
                          <div className="muted">{s.carrier ? `${s.carrier} ${s.trackingNumber ?? ''} · shipped ${dateTime(s.shippedAt)}` : 'not handed to a carrier yet'}</div>
                        </li>
                      ))}
                    </ul>
                  )}
                </Card>
              )}
              {f.salesOrder?.invoices && (
                <Card title="Invoices">
                  {f.salesOrder.invoices.length === 0 ? (
                    <Empty>None yet.</Empty>
                  ) : (
                    <ul className="plain-list">
                      {f.salesOrder.invoices.map((i) => (
                        <li key={i.id}>
                          <span className="mono">{i.number}</span> <StatusBadge status={i.status} />
                          <div className="muted">
                            {money(i.total)} · due {i.dueDate} · open {money(i.amountDue)}
                          </div>
                        </li>
                      ))}
                    </ul>
                  )}
                </Card>
              )}
            </div>
          </div>
        </>
      )}
    </>
  );
}
