-- The newest version of each backend record the sync has applied or written itself: an event or poll
-- row whose record is not newer than this is old news (a late webhook, or the echo of our own write).
CREATE TABLE sync_record_versions (
  system text NOT NULL CHECK (system IN ('erp', 'crm')),
  record_id text NOT NULL,
  version integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (system, record_id)
);

-- The CRM-owned fields as last agreed by both systems, per link: a three-way comparison against it
-- tells a change made in the CRM (mirror it) from one made in the ERP (a conflict).
CREATE TABLE sync_snapshots (
  link_id text PRIMARY KEY,
  fields jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Catch-up poll position per system: rows changed at or after it are read again.
CREATE TABLE sync_cursors (
  system text PRIMARY KEY CHECK (system IN ('erp', 'crm')),
  updated_since timestamptz NOT NULL
);

-- A CRM-owned field changed in the ERP: the CRM's value was restored; kept until the owner resolves it.
CREATE TABLE sync_conflicts (
  id bigserial PRIMARY KEY,
  link_id text NOT NULL,
  field text NOT NULL,
  crm_value text,
  erp_value text,
  detected_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz
);
CREATE INDEX sync_conflicts_open ON sync_conflicts (link_id) WHERE resolved_at IS NULL;

-- Full resync runs: progress is committed page by page so an interrupted run resumes where it stopped.
CREATE TABLE resync_runs (
  id bigserial PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('RUNNING', 'COMPLETED', 'FAILED')),
  phase text NOT NULL CHECK (phase IN ('crm', 'erp', 'done')),
  after_cursor text,
  processed integer NOT NULL DEFAULT 0,
  total integer NOT NULL DEFAULT 0,
  summary jsonb NOT NULL DEFAULT '{}',
  error text,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
