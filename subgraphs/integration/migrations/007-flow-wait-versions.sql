-- The version of the awaited record the waiting step last saw: a change event about that version
-- or an older one (the step's own "created", a late redelivery) tells the run nothing new, so it
-- does not wake it. NULL: any event wakes the run.
ALTER TABLE flow_waits ADD COLUMN seen_version integer;
