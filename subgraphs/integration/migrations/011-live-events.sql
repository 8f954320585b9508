-- Live events: what subscribers at the gateway and partner webhooks hear of, one row per change with
-- an id that orders them. Flow changes are recorded by triggers in the same transaction as the change
-- itself, whichever worker or process made it; customer changes and data-quality findings are
-- appended by the integration (live/). Rows are kept for the retention window (LIVE_EVENT_RETENTION_HOURS).
CREATE TABLE live_events (
  id bigserial PRIMARY KEY,
  type text NOT NULL,
  -- The entity the event is about: a flow id, a sales order id, a Customer.id, a data-quality issue id.
  entity_key text NOT NULL,
  -- The API Customer.id the entity belongs to, when known (partner scope and webhooks filter on it).
  customer_id text,
  data jsonb NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX live_events_occurred ON live_events (occurred_at);

CREATE FUNCTION live_events_flow_run_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    INSERT INTO live_events (type, entity_key, customer_id, data)
    VALUES ('orderFlow.updated', NEW.id::text, (NEW.state->>'customerId'), jsonb_build_object('status', NEW.status, 'salesOrderId', (NEW.state->>'salesOrderId')));
  END IF;
  IF (NEW.state->>'salesOrderId') IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status OR (OLD.state->>'salesOrderId') IS NULL) THEN
    INSERT INTO live_events (type, entity_key, customer_id, data)
    VALUES ('salesOrder.updated', (NEW.state->>'salesOrderId'), (NEW.state->>'customerId'), jsonb_build_object('flowId', NEW.id::text, 'flowStatus', NEW.status));
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.state->>'invoiceId' IS NOT NULL AND OLD.state->>'invoiceId' IS NULL THEN
    INSERT INTO live_events (type, entity_key, customer_id, data)
    VALUES ('invoice.issued', (NEW.state->>'salesOrderId'), (NEW.state->>'customerId'), jsonb_build_object('flowId', NEW.id::text, 'invoiceId', NEW.state->>'invoiceId'));
    INSERT INTO live_events (type, entity_key, customer_id, data)
    VALUES ('salesOrder.updated', (NEW.state->>'salesOrderId'), (NEW.state->>'customerId'), jsonb_build_object('flowId', NEW.id::text, 'invoiceId', NEW.state->>'invoiceId'));
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION live_events_flow_step_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  run record;
BEGIN
  IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
    RETURN NULL;
  END IF;
  -- A run's customer and order live in its state (flow_runs carries no column of one flow).
  SELECT id, state->>'customerId' AS customer_id, state->>'salesOrderId' AS sales_order_id, status INTO run FROM flow_runs WHERE id = NEW.run_id;
  INSERT INTO live_events (type, entity_key, customer_id, data)
  VALUES ('orderFlow.updated', NEW.run_id::text, run.customer_id, jsonb_build_object('status', run.status, 'step', NEW.name, 'stepStatus', NEW.status, 'salesOrderId', run.sales_order_id));
  IF NEW.name = 'wait-for-shipment' AND NEW.status = 'DONE' AND run.sales_order_id IS NOT NULL THEN
    INSERT INTO live_events (type, entity_key, customer_id, data)
    VALUES ('order.shipped', run.sales_order_id, run.customer_id, jsonb_build_object('flowId', NEW.run_id::text));
    INSERT INTO live_events (type, entity_key, customer_id, data)
    VALUES ('salesOrder.updated', run.sales_order_id, run.customer_id, jsonb_build_object('flowId', NEW.run_id::text, 'shipped', true));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER flow_runs_live_events AFTER INSERT OR UPDATE ON flow_runs
  FOR EACH ROW EXECUTE FUNCTION live_events_flow_run_changed();
CREATE TRIGGER flow_steps_live_events AFTER UPDATE ON flow_steps
  FOR EACH ROW EXECUTE FUNCTION live_events_flow_step_changed();

-- A customer's master data or sync state changed: the sync marks the link after applying a change
-- from either system (last_synced_at, sync_state), so one row update is one applied change. New links
-- (a bulk import) are not changes of an existing customer and record nothing.
CREATE FUNCTION live_events_customer_link_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.sync_state IS DISTINCT FROM OLD.sync_state OR NEW.last_synced_at IS DISTINCT FROM OLD.last_synced_at
     OR NEW.crm_account_id IS DISTINCT FROM OLD.crm_account_id OR NEW.erp_customer_no IS DISTINCT FROM OLD.erp_customer_no THEN
    INSERT INTO live_events (type, entity_key, customer_id, data)
    VALUES ('customer.changed', NEW.id, NEW.id, jsonb_build_object('syncState', NEW.sync_state));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER customer_links_live_events AFTER UPDATE ON customer_links
  FOR EACH ROW EXECUTE FUNCTION live_events_customer_link_changed();
