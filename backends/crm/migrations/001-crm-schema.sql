-- The CRM reference backend's tables. Timestamps are kept to the millisecond so the ISO strings
-- the API returns are exact, and a client can poll `updated_since` with a value it was given.

CREATE TABLE users (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL
);

CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  email text,
  industry text,
  country text,
  -- Set once the account is linked to an ERP customer; one account per ERP customer.
  erp_customer_no text UNIQUE,
  owner_id uuid REFERENCES users (id),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX accounts_updated_at ON accounts (updated_at, id);
CREATE INDEX accounts_created_at ON accounts (created_at, id);
CREATE INDEX accounts_lower_name ON accounts (lower(name));
CREATE INDEX accounts_lower_email ON accounts (lower(email));

CREATE TABLE contacts (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  name text NOT NULL,
  email text,
  phone text,
  title text,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX contacts_account ON contacts (account_id, name, id);
CREATE INDEX contacts_updated_at ON contacts (updated_at, id);

CREATE TABLE opportunities (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  name text NOT NULL,
  stage text NOT NULL CHECK (stage IN ('PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST')),
  currency text NOT NULL,
  expected_close_date date,
  -- The ERP sales order this opportunity became.
  erp_sales_order_id text,
  owner_id uuid REFERENCES users (id),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX opportunities_account ON opportunities (account_id, stage);
CREATE INDEX opportunities_sales_order ON opportunities (erp_sales_order_id);
CREATE INDEX opportunities_stage ON opportunities (stage, created_at, id);
CREATE INDEX opportunities_updated_at ON opportunities (updated_at, id);
CREATE INDEX opportunities_created_at ON opportunities (created_at, id);
CREATE INDEX opportunities_lower_name ON opportunities (lower(name));

CREATE TABLE opportunity_lines (
  opportunity_id uuid NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
  line_no integer NOT NULL,
  sku text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price numeric(14, 2) NOT NULL CHECK (unit_price >= 0),
  PRIMARY KEY (opportunity_id, line_no)
);

CREATE TABLE activities (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  type text NOT NULL CHECK (type IN ('CALL', 'EMAIL', 'MEETING', 'NOTE', 'SYSTEM')),
  subject text NOT NULL,
  occurred_at timestamptz NOT NULL,
  erp_sales_order_id text,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
-- Serves "the newest N activities of each account".
CREATE INDEX activities_account_newest ON activities (account_id, occurred_at DESC, id DESC);
CREATE INDEX activities_sales_order ON activities (erp_sales_order_id);
CREATE INDEX activities_updated_at ON activities (updated_at, id);

CREATE TABLE cases (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  subject text NOT NULL,
  status text NOT NULL CHECK (status IN ('OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED')),
  priority text NOT NULL CHECK (priority IN ('LOW', 'MEDIUM', 'HIGH', 'URGENT')),
  opened_at timestamptz NOT NULL,
  erp_sales_order_id text,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX cases_account ON cases (account_id, status, opened_at DESC);
CREATE INDEX cases_sales_order ON cases (erp_sales_order_id);
CREATE INDEX cases_updated_at ON cases (updated_at, id);
