-- Every mutation the gateway answered: who, what, which records, how it ended. Append only.
CREATE TABLE audit_log (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  sub text NOT NULL,
  role text NOT NULL,
  operation_name text,
  field text NOT NULL,
  ids jsonb NOT NULL DEFAULT '[]'::jsonb,
  outcome text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_at ON audit_log (at DESC, seq DESC);
