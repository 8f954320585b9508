-- The kept cross-reference between CRM accounts and ERP customers; its id is the API Customer.id.
CREATE TABLE customer_links (
  id text PRIMARY KEY,
  crm_account_id uuid UNIQUE,
  erp_customer_no text UNIQUE,
  sync_state text NOT NULL CHECK (sync_state IN ('IN_SYNC', 'PENDING', 'CONFLICT', 'ERROR')),
  -- Why the last write to the other system failed, while sync_state is ERROR.
  sync_error text,
  last_synced_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  CHECK (crm_account_id IS NOT NULL OR erp_customer_no IS NOT NULL)
);

-- Change events received from the backends' webhooks, one row per event id, so a redelivery is ignored.
CREATE TABLE received_events (
  event_id uuid PRIMARY KEY,
  source text NOT NULL CHECK (source IN ('erp', 'crm')),
  entity text NOT NULL,
  entity_id text NOT NULL,
  version integer NOT NULL,
  action text NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX received_events_entity ON received_events (source, entity, entity_id);
