-- Keys clients send with createCustomer and updateCustomer (scoped to the caller), each with the
-- hash of the request it stands for: the same key with another request is refused as CONFLICT.
-- The answer itself is not stored; the backend writes replay under keys derived from the key.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key text PRIMARY KEY,
  request_hash text NOT NULL,
  status integer,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
