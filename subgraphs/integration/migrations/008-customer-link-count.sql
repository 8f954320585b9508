-- How many customer links exist, kept exact by triggers: the customers list shows a total on every
-- page, and count(*) over every link was the integration's largest cost on a Customer 360.
-- Statement-level triggers add each statement's rows at once, so a bulk import updates the counter
-- once per statement rather than once per row.
CREATE TABLE customer_link_count (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  n bigint NOT NULL
);
INSERT INTO customer_link_count (n) SELECT count(*) FROM customer_links;

CREATE FUNCTION customer_link_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customer_link_count SET n = n + (SELECT count(*) FROM inserted_links);
  RETURN NULL;
END $$;

CREATE FUNCTION customer_link_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customer_link_count SET n = n - (SELECT count(*) FROM deleted_links);
  RETURN NULL;
END $$;

CREATE FUNCTION customer_link_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customer_link_count SET n = 0;
  RETURN NULL;
END $$;

CREATE TRIGGER customer_links_counted_insert AFTER INSERT ON customer_links
  REFERENCING NEW TABLE AS inserted_links FOR EACH STATEMENT EXECUTE FUNCTION customer_link_count_inserted();
CREATE TRIGGER customer_links_counted_delete AFTER DELETE ON customer_links
  REFERENCING OLD TABLE AS deleted_links FOR EACH STATEMENT EXECUTE FUNCTION customer_link_count_deleted();
CREATE TRIGGER customer_links_counted_truncate AFTER TRUNCATE ON customer_links
  FOR EACH STATEMENT EXECUTE FUNCTION customer_link_count_truncated();
