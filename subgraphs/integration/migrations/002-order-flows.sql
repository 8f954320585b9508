-- Durable cross-system flows (order-to-cash). A run is one row, unique on (flow, idempotency key);
-- its steps are rows in flow order; the job engine (pg-boss, own schema) only carries "advance run X".
CREATE TABLE flow_runs (
  id uuid PRIMARY KEY,
  flow text NOT NULL,
  idempotency_key text NOT NULL,
  -- Hash of the starting request, so the same key with another request is refused.
  request_hash text NOT NULL,
  status text NOT NULL CHECK (status IN ('RUNNING', 'WAITING', 'COMPLETED', 'FAILED', 'COMPENSATING', 'COMPENSATED')),
  -- 'forward' while steps run, 'compensating' once undoing started (retry resumes the right way).
  phase text NOT NULL DEFAULT 'forward' CHECK (phase IN ('forward', 'compensating')),
  customer_id text NOT NULL,
  opportunity_id text,
  sales_order_id text,
  input jsonb NOT NULL,
  -- What the steps found out so far (ERP customer, order, production orders, shipment, invoice...).
  state jsonb NOT NULL DEFAULT '{}',
  error text,
  error_code text,
  cancel_requested boolean NOT NULL DEFAULT false,
  cancel_reason text,
  -- Only the lease holder advances a run, so two workers never run the same step at once.
  lease_owner text,
  lease_until timestamptz,
  -- When the catch-up poll looks at the run again if nothing woke it.
  next_check_at timestamptz NOT NULL DEFAULT now(),
  request_id text,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (flow, idempotency_key)
);
-- An opportunity becomes at most one order flow.
CREATE UNIQUE INDEX flow_runs_opportunity ON flow_runs (flow, opportunity_id) WHERE opportunity_id IS NOT NULL;
CREATE INDEX flow_runs_sales_order ON flow_runs (sales_order_id) WHERE sales_order_id IS NOT NULL;
CREATE INDEX flow_runs_due ON flow_runs (next_check_at) WHERE status IN ('RUNNING', 'WAITING', 'COMPENSATING');
CREATE INDEX flow_runs_listing ON flow_runs (status, started_at, id);

CREATE TABLE flow_steps (
  run_id uuid NOT NULL REFERENCES flow_runs (id) ON DELETE CASCADE,
  position integer NOT NULL,
  name text NOT NULL,
  status text NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'WAITING', 'DONE', 'FAILED', 'COMPENSATED', 'SKIPPED')),
  attempts integer NOT NULL DEFAULT 0,
  started_at timestamptz,
  finished_at timestamptz,
  error text,
  -- What compensate needs to undo the step.
  compensation jsonb,
  PRIMARY KEY (run_id, position)
);

-- What a WAITING run waits on: a change event about one of these ERP records wakes it.
CREATE TABLE flow_waits (
  entity text NOT NULL,
  entity_id text NOT NULL,
  run_id uuid NOT NULL REFERENCES flow_runs (id) ON DELETE CASCADE,
  PRIMARY KEY (entity, entity_id, run_id)
);
CREATE INDEX flow_waits_run ON flow_waits (run_id);
