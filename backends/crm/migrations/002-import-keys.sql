-- Bulk import: the id a record had in the system it was imported from. Re-importing a file
-- finds its records again by this key and updates them instead of creating duplicates.
ALTER TABLE accounts ADD COLUMN import_key text UNIQUE;
ALTER TABLE opportunities ADD COLUMN import_key text UNIQUE;
