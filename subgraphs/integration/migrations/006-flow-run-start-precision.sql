-- Flow lists page by (started_at, id) with a cursor that carries started_at as an ISO string,
-- which has millisecond precision: a microsecond timestamp made the next page repeat runs that
-- started within the same millisecond as the cursor. Runs now start on whole milliseconds.
ALTER TABLE flow_runs ALTER COLUMN started_at SET DEFAULT date_trunc('milliseconds', now());
UPDATE flow_runs SET started_at = date_trunc('milliseconds', started_at) WHERE started_at <> date_trunc('milliseconds', started_at);
