-- Partner webhook endpoints and their deliveries (Standard Webhooks format). The signing secret is
-- kept encrypted (AES-256-GCM under a key derived from the integration's webhook key) and shown once.
CREATE TABLE webhook_subscriptions (
  id uuid PRIMARY KEY,
  customer_id text NOT NULL,
  created_by text NOT NULL,
  url text NOT NULL,
  events text[] NOT NULL,
  secret_sealed text NOT NULL,
  status text NOT NULL CHECK (status IN ('ACTIVE', 'PAUSED')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_customer ON webhook_subscriptions (customer_id);

-- One event for one endpoint. The id is the webhook-id the receiver deduplicates by: the same
-- across retries and replays. The body is rendered once (through the gateway, as the partner) and
-- sent unchanged on every attempt.
CREATE TABLE webhook_deliveries (
  id text PRIMARY KEY,
  subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  event_id bigint NOT NULL,
  event_type text NOT NULL,
  entity_key text NOT NULL,
  customer_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
  attempts integer NOT NULL DEFAULT 0,
  last_response_code integer,
  last_error text,
  body text,
  next_attempt_at timestamptz,
  give_up_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_listing ON webhook_deliveries (subscription_id, created_at DESC);

-- How far the live event log has been turned into deliveries.
CREATE TABLE webhook_fan_out (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_event_id bigint NOT NULL
);
INSERT INTO webhook_fan_out (last_event_id) SELECT coalesce(max(id), 0) FROM live_events;
