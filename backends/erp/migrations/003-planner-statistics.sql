-- Data folders seeded before the seed analyzed its tables have no planner statistics (PGlite never
-- gathers them on its own), and large lists were planned as full scans: gather them once.
ANALYZE;
