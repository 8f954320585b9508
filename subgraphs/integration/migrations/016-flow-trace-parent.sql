-- The W3C traceparent of the request that started the run (NULL when tracing was off), so the steps
-- that the job queue runs later join that request's trace.
ALTER TABLE flow_runs ADD COLUMN trace_parent text;
