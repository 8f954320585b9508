-- The reference ERP: master data, stock, sales orders and what follows them to cash.
-- Timestamps default to millisecond precision so they survive a round trip through JSON
-- unchanged and `updated_since` cursors compare exactly.

CREATE SEQUENCE customer_no_seq START 10001;
CREATE SEQUENCE sales_order_no_seq START 100001;
CREATE SEQUENCE production_order_no_seq START 50001;
CREATE SEQUENCE shipment_no_seq START 70001;
CREATE SEQUENCE invoice_no_seq START 30001;

CREATE TABLE customers (
  customer_no text PRIMARY KEY,
  name text NOT NULL,
  email text,
  industry text,
  country text,
  external_ref text UNIQUE,
  credit_limit numeric(14,2) CHECK (credit_limit >= 0),
  payment_terms text,
  currency text NOT NULL,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX customers_updated_at ON customers (updated_at, customer_no);
CREATE INDEX customers_name_lower ON customers (lower(name));

CREATE TABLE products (
  sku text PRIMARY KEY,
  name text NOT NULL,
  unit_price numeric(14,2) NOT NULL CHECK (unit_price >= 0),
  currency text NOT NULL,
  manufactured boolean NOT NULL,
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX products_updated_at ON products (updated_at, sku);

CREATE TABLE warehouses (
  code text PRIMARY KEY,
  name text NOT NULL
);

CREATE TABLE stock_levels (
  sku text NOT NULL REFERENCES products (sku),
  warehouse_code text NOT NULL REFERENCES warehouses (code),
  on_hand integer NOT NULL CHECK (on_hand >= 0),
  reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (sku, warehouse_code),
  CHECK (reserved <= on_hand)
);

CREATE TABLE sales_orders (
  id text PRIMARY KEY,
  customer_no text NOT NULL REFERENCES customers (customer_no),
  status text NOT NULL CHECK (status IN ('DRAFT', 'CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP', 'PARTIALLY_SHIPPED', 'SHIPPED', 'INVOICED', 'PAID', 'CANCELLED')),
  currency text NOT NULL,
  external_ref text,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX sales_orders_customer ON sales_orders (customer_no, created_at DESC, id DESC);
CREATE INDEX sales_orders_created ON sales_orders (created_at DESC, id DESC);
CREATE INDEX sales_orders_updated_at ON sales_orders (updated_at, id);
CREATE INDEX sales_orders_status ON sales_orders (status);
CREATE INDEX sales_orders_external_ref ON sales_orders (external_ref) WHERE external_ref IS NOT NULL;

CREATE TABLE sales_order_lines (
  sales_order_id text NOT NULL REFERENCES sales_orders (id),
  line_no integer NOT NULL,
  sku text NOT NULL REFERENCES products (sku),
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price numeric(14,2) NOT NULL CHECK (unit_price >= 0),
  reserved_quantity integer NOT NULL DEFAULT 0 CHECK (reserved_quantity >= 0),
  shipped_quantity integer NOT NULL DEFAULT 0 CHECK (shipped_quantity >= 0),
  -- What invoices already cover, so a second invoice bills only goods shipped since.
  invoiced_quantity integer NOT NULL DEFAULT 0 CHECK (invoiced_quantity >= 0),
  PRIMARY KEY (sales_order_id, line_no),
  CHECK (reserved_quantity + shipped_quantity <= quantity),
  CHECK (invoiced_quantity <= shipped_quantity)
);
CREATE INDEX sales_order_lines_sku ON sales_order_lines (sku);

-- Where each line's reservation sits, so a release gives back exactly what was taken.
CREATE TABLE stock_reservations (
  sales_order_id text NOT NULL,
  line_no integer NOT NULL,
  warehouse_code text NOT NULL REFERENCES warehouses (code),
  quantity integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (sales_order_id, line_no, warehouse_code),
  FOREIGN KEY (sales_order_id, line_no) REFERENCES sales_order_lines (sales_order_id, line_no)
);

CREATE TABLE production_orders (
  id text PRIMARY KEY,
  sku text NOT NULL REFERENCES products (sku),
  quantity integer NOT NULL CHECK (quantity > 0),
  status text NOT NULL CHECK (status IN ('PLANNED', 'RELEASED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED')),
  sales_order_id text REFERENCES sales_orders (id),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX production_orders_sales_order ON production_orders (sales_order_id);
CREATE INDEX production_orders_updated_at ON production_orders (updated_at, id);
CREATE INDEX production_orders_status ON production_orders (status);

CREATE TABLE shipments (
  id text PRIMARY KEY,
  sales_order_id text NOT NULL REFERENCES sales_orders (id),
  status text NOT NULL CHECK (status IN ('PENDING', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
  carrier text,
  tracking_number text,
  shipped_at timestamptz,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX shipments_sales_order ON shipments (sales_order_id);
CREATE INDEX shipments_updated_at ON shipments (updated_at, id);
CREATE INDEX shipments_status ON shipments (status);

CREATE TABLE shipment_lines (
  shipment_id text NOT NULL REFERENCES shipments (id),
  position integer NOT NULL,
  line_no integer NOT NULL,
  sku text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (shipment_id, position)
);

CREATE TABLE invoices (
  id text PRIMARY KEY,
  customer_no text NOT NULL REFERENCES customers (customer_no),
  sales_order_id text REFERENCES sales_orders (id),
  status text NOT NULL CHECK (status IN ('OPEN', 'PAID', 'OVERDUE', 'CANCELLED')),
  total numeric(14,2) NOT NULL CHECK (total >= 0),
  amount_due numeric(14,2) NOT NULL CHECK (amount_due >= 0),
  currency text NOT NULL,
  due_date date NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  CHECK (amount_due <= total)
);
CREATE INDEX invoices_customer ON invoices (customer_no, issued_at DESC, id DESC);
CREATE INDEX invoices_sales_order ON invoices (sales_order_id);
CREATE INDEX invoices_updated_at ON invoices (updated_at, id);
CREATE INDEX invoices_open_due ON invoices (due_date) WHERE status = 'OPEN';
CREATE INDEX invoices_status ON invoices (status);

CREATE TABLE payments (
  id bigserial PRIMARY KEY,
  invoice_id text NOT NULL REFERENCES invoices (id),
  amount numeric(14,2) NOT NULL CHECK (amount > 0),
  reference text,
  received_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX payments_invoice ON payments (invoice_id);
