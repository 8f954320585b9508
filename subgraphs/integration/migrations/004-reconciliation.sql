-- Reconciliation reports; the newest is what dataQualityReport answers, older ones are history.
CREATE TABLE reconciliation_reports (
  id bigserial PRIMARY KEY,
  checked_at timestamptz NOT NULL,
  issues jsonb NOT NULL
);
