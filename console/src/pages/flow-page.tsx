import { useState } from 'react';
import { type Session, can, gql } from '../api';
import { dateTime, duration, errorInWords, money, stepDuration, stepName } from '../format';
import { Link } from '../router';
import { Card, ConfirmButton, Empty, Notice, PageHeader, StatusBadge, useLive, usePoll } from '../ui';

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
  creditReview: CreditReview | null;
}

interface CreditReview {
  status: 'PENDING' | 'APPROVED' | 'REJECTED';
  currency: string;
  orderTotal: string;
  exposure: string | null;
  creditLimit: string | null;
  requestedAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  note: string | null;
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
    creditReview { status currency orderTotal exposure creditLimit requestedAt decidedAt decidedBy note }
  }
}`;

const ENDED = ['COMPLETED', 'COMPENSATED'];

/** One order flow: its steps as a timeline, what it is linked to, and retry or cancel. */
export function FlowPage({ id, session }: { id: string; session: Session }) {
  const flow = usePoll(() => gql<{ orderFlow: Flow | null }>(flowQuery(can.seeInvoices(session.role)), { id }, { partial: true }).then((r) => r.data.orderFlow), 10_000, [id]);
  useLive(`subscription ConsoleFlowUpdated($id: ID) { orderFlowUpdated(id: $id) { id status } }`, { id }, flow.reload, [id]);
  const f = flow.data;

  const retry = async () => {
    await gql(`mutation ConsoleRetry($id: ID!) { retryOrderFlow(id: $id) { id status } }`, { id });
    flow.reload();
  };
  const cancel = async () => {
    await gql(`mutation ConsoleCancel($order: ID!) { cancelOrder(salesOrderId: $order, reason: "cancelled in the operations console") { id status } }`, { order: f!.salesOrder!.id });
    flow.reload();
  };
  const decideCredit = async (decision: 'approve' | 'reject', text: string) => {
    if (decision === 'approve') await gql(`mutation ConsoleApproveCredit($id: ID!, $note: String) { approveOrderCredit(id: $id, note: $note) { id status } }`, { id, note: text || null });
    else await gql(`mutation ConsoleRejectCredit($id: ID!, $reason: String!) { rejectOrderCredit(id: $id, reason: $reason) { id status } }`, { id, reason: text });
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
          {f.creditReview && <CreditReviewCard review={f.creditReview} mayDecide={can.reviewCredit(session.role)} onDecide={decideCredit} />}
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
                          <p className={step.status === 'WAITING' ? 'timeline-waiting-note' : 'timeline-error'}>
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

/**
 * The order exceeded the customer's credit: what finance is asked to decide, and for finance and
 * admins the decision itself (approve, or reject with a reason the flow keeps).
 */
function CreditReviewCard({ review, mayDecide, onDecide }: { review: CreditReview; mayDecide: boolean; onDecide: (decision: 'approve' | 'reject', text: string) => Promise<void> }) {
  const [text, setText] = useState('');
  const amount = (value: string | null) => (value === null ? 'not visible to your role' : money({ amount: value, currency: review.currency }));
  return (
    <Card title="Credit review">
      <p>
        <StatusBadge status={review.status} />{' '}
        {review.status === 'PENDING' ? 'The order exceeds the customer’s credit and waits for finance.' : `Decided ${dateTime(review.decidedAt)}${review.decidedBy ? ` by ${review.decidedBy}` : ''}.`}
      </p>
      <dl className="facts">
        <dt>Order total</dt>
        <dd>{amount(review.orderTotal)}</dd>
        <dt>Exposure when asked</dt>
        <dd>{amount(review.exposure)}</dd>
        <dt>Credit limit</dt>
        <dd>{amount(review.creditLimit)}</dd>
        <dt>Asked</dt>
        <dd>{dateTime(review.requestedAt)}</dd>
        {review.note && (
          <>
            <dt>Note</dt>
            <dd>{review.note}</dd>
          </>
        )}
      </dl>
      {mayDecide && review.status === 'PENDING' && (
        <>
          <div className="field">
            <label htmlFor="credit-review-note">Note or reason (a rejection needs one)</label>
            <input id="credit-review-note" type="text" value={text} maxLength={500} onChange={(e) => setText(e.target.value)} />
          </div>
          <div className="dialog-actions">
            <ConfirmButton
              label="Approve credit"
              title="Approve this order over the credit limit?"
              body={<p>The ERP confirms the order although it exceeds the customer’s credit limit, and the flow goes on. Your name and note stay with the review.</p>}
              confirmLabel="Approve"
              onConfirm={() => onDecide('approve', text.trim())}
            />
            <ConfirmButton
              label="Reject credit"
              danger
              disabled={text.trim() === ''}
              title="Reject this order?"
              body={<p>The order is refused (CREDIT_LIMIT_EXCEEDED) and what the flow did is undone. This cannot be reversed.</p>}
              confirmLabel="Reject the order"
              onConfirm={() => onDecide('reject', text.trim())}
            />
          </div>
        </>
      )}
    </Card>
  );
}
