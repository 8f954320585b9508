-- Orders over the customer's credit wait for finance: one review per order flow, with the
-- figures the decision was asked on, and who decided what, when and why (the finance audit trail).
CREATE TABLE credit_reviews (
  flow_run_id uuid PRIMARY KEY REFERENCES flow_runs (id) ON DELETE CASCADE,
  customer_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED')),
  currency text NOT NULL,
  order_total numeric(18, 2) NOT NULL,
  exposure numeric(18, 2) NOT NULL,
  credit_limit numeric(18, 2) NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  decided_by text,
  note text
);
-- Finance's work list: pending reviews, oldest first.
CREATE INDEX credit_reviews_status ON credit_reviews (status, requested_at, flow_run_id);
