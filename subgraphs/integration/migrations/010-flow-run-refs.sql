-- The ids a run is found by (an order flow's opportunity, sales order and customer) are declared by each flow
-- definition and kept here, so flow_runs carries no column of one flow. The rows of existing runs
-- move over with their values; the customer a run is for stays in its input and state.
CREATE TABLE flow_run_refs (
  run_id uuid NOT NULL REFERENCES flow_runs (id) ON DELETE CASCADE,
  flow text NOT NULL,
  name text NOT NULL,
  value text NOT NULL,
  -- At most one run of a flow per value (an opportunity becomes at most one order flow).
  is_unique boolean NOT NULL DEFAULT false,
  PRIMARY KEY (run_id, name)
);
CREATE UNIQUE INDEX flow_run_refs_unique ON flow_run_refs (flow, name, value) WHERE is_unique;
CREATE INDEX flow_run_refs_lookup ON flow_run_refs (flow, name, value);

INSERT INTO flow_run_refs (run_id, flow, name, value, is_unique)
  SELECT id, flow, 'opportunity', opportunity_id, true FROM flow_runs WHERE opportunity_id IS NOT NULL;
INSERT INTO flow_run_refs (run_id, flow, name, value, is_unique)
  SELECT id, flow, 'salesOrder', sales_order_id, false FROM flow_runs WHERE sales_order_id IS NOT NULL;
INSERT INTO flow_run_refs (run_id, flow, name, value, is_unique)
  SELECT id, flow, 'customer', customer_id, false FROM flow_runs WHERE customer_id IS NOT NULL;
-- Runs started before the customer was part of their state (it always was of their input) keep finding it there.
UPDATE flow_runs SET state = state || jsonb_build_object('customerId', customer_id) WHERE NOT state ? 'customerId';

DROP INDEX flow_runs_opportunity;
DROP INDEX flow_runs_sales_order;
ALTER TABLE flow_runs DROP COLUMN customer_id, DROP COLUMN opportunity_id, DROP COLUMN sales_order_id;
