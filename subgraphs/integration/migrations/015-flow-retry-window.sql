-- Transient failures are retried for a time window instead of a number of attempts. While a step is
-- retried the run is RETRYING (forward) or stays COMPENSATING (undoing), and the run row says why
-- (the error code), which backend it waits for, since when, until when at most, and when it tries next.
ALTER TABLE flow_runs DROP CONSTRAINT flow_runs_status_check;
ALTER TABLE flow_runs ADD CONSTRAINT flow_runs_status_check
  CHECK (status IN ('RUNNING', 'WAITING', 'RETRYING', 'COMPLETED', 'FAILED', 'COMPENSATING', 'COMPENSATED'));
ALTER TABLE flow_steps DROP CONSTRAINT flow_steps_status_check;
ALTER TABLE flow_steps ADD CONSTRAINT flow_steps_status_check
  CHECK (status IN ('PENDING', 'RUNNING', 'WAITING', 'RETRYING', 'DONE', 'FAILED', 'COMPENSATED', 'SKIPPED'));

-- Set together while a step is retried, all NULL otherwise.
ALTER TABLE flow_runs ADD COLUMN retry_cause text;
-- The backend the failures came from ('erp', 'crm'; NULL: unknown): when it answers again the run is tried at once.
ALTER TABLE flow_runs ADD COLUMN retry_system text;
-- The first failure of the streak, and the end of the retry window counted from it.
ALTER TABLE flow_runs ADD COLUMN retry_since timestamptz;
ALTER TABLE flow_runs ADD COLUMN retry_until timestamptz;
ALTER TABLE flow_runs ADD COLUMN next_attempt_at timestamptz;

DROP INDEX flow_runs_due;
CREATE INDEX flow_runs_due ON flow_runs (next_check_at) WHERE status IN ('RUNNING', 'WAITING', 'RETRYING', 'COMPENSATING');
CREATE INDEX flow_runs_retrying ON flow_runs (retry_system) WHERE retry_cause IS NOT NULL;
