-- Tenancy (issue 12). SQLite has no row-level security: owner-only instance and token writes are
-- checked in the queries (workspaces::db, tokens::db). The usage flush looks up an instance's
-- current workspace per row, and a claim moves an instance's usage rows: both by instance_id.
create index if not exists usage_counters_daily_instance_idx on usage_counters_daily (instance_id);
