-- How long each applied change took from the moment it was made in one system to the moment the
-- sync applied it in the other (the sync lag), kept a few days for the operations console.
CREATE TABLE sync_propagation (
  id bigserial PRIMARY KEY,
  source text NOT NULL CHECK (source IN ('erp', 'crm')),
  applied_at timestamptz NOT NULL DEFAULT now(),
  seconds double precision NOT NULL
);
CREATE INDEX sync_propagation_applied ON sync_propagation (applied_at);
