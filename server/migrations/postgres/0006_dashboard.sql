-- Dashboard (issue 14): owners delete a workspace (its widgets, tokens, usage and submissions go
-- by cascade) and users delete their account; submissions are paged newest first by a keyset
-- cursor (created_at, id).

-- Owners delete their workspaces. Cascades run as the tables' owner (referential actions bypass
-- RLS), so the workspace's rows in every tenant table go with it.
grant delete on workspaces to authenticated;
create policy workspaces_owner_delete on workspaces for delete to authenticated
  using (id in (select m.workspace_id from workspace_members m
                where m.user_id = (select auth.uid()) and m.role = 'owner'));

-- Account deletion runs on the auth path, after the account's owned workspaces were deleted as
-- the user (workspaces.created_by is `on delete restrict`: nothing the user created is orphaned).
-- users_auth_all (0001) already allows every command to ck_auth; only the grant was missing.
grant delete on users to ck_auth;

-- Keyset pagination: (instance_id, created_at desc, id desc) answers "the next page after this
-- cursor" from the index alone.
drop index if exists submissions_instance_idx;
create index submissions_instance_idx on submissions (instance_id, created_at desc, id desc);
