-- Dashboard (issue 14): submissions are paged newest first by a keyset cursor (created_at, id).
-- Workspace and account deletion need no schema change here (the Postgres file adds the grants
-- and the owner delete policy; the SQLite queries check ownership themselves).
drop index if exists submissions_instance_idx;
create index submissions_instance_idx on submissions (instance_id, created_at desc, id desc);
