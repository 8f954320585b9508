-- Where polling each Tryton model stands: the newest change seen, as Tryton's own time and record id.
CREATE TABLE IF NOT EXISTS tryton_change_cursors (
  source text PRIMARY KEY,
  stamp text NOT NULL,
  record_id bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
