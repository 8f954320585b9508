-- Serves "the newest orders of one status" page by page (bulk export pages every status in
-- parallel) without sorting all the orders of that status for each page.
CREATE INDEX sales_orders_status_created ON sales_orders (status, created_at DESC, id DESC);
