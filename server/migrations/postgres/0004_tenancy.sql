-- Tenancy (issue 12): owner-only writes of widget instances and embed tokens, and a token may only
-- point at an instance of its own workspace. Until now any member could re-key, un-revoke or
-- re-point the workspace's tokens, and point a token at another workspace's instance or at an
-- unclaimed draft (a later claim then dragged that token into the claimer's workspace).
--
-- Reads stay member-wide (the *_member_select policies of 0001 are unchanged); ck_system's policies
-- (drafts, claims, ingest, token checks) are unchanged.

drop policy widget_instances_member_insert on widget_instances;
drop policy widget_instances_member_update on widget_instances;
drop policy widget_instances_member_delete on widget_instances;
drop policy embed_tokens_member_insert on embed_tokens;
drop policy embed_tokens_member_update on embed_tokens;
drop policy embed_tokens_member_delete on embed_tokens;

create policy widget_instances_owner_insert on widget_instances for insert to authenticated
  with check (workspace_id in (select m.workspace_id from public.workspace_members m
                               where m.user_id = (select auth.uid()) and m.role = 'owner'));
create policy widget_instances_owner_update on widget_instances for update to authenticated
  using (workspace_id in (select m.workspace_id from public.workspace_members m
                          where m.user_id = (select auth.uid()) and m.role = 'owner'))
  with check (workspace_id in (select m.workspace_id from public.workspace_members m
                               where m.user_id = (select auth.uid()) and m.role = 'owner'));
create policy widget_instances_owner_delete on widget_instances for delete to authenticated
  using (workspace_id in (select m.workspace_id from public.workspace_members m
                          where m.user_id = (select auth.uid()) and m.role = 'owner'));

-- instance_id: NULL (a workspace-wide token) or an instance of the token's own workspace. The
-- subquery runs under the caller's own select policy on widget_instances, which hides drafts
-- (workspace NULL) and other workspaces' rows as well.
create policy embed_tokens_owner_insert on embed_tokens for insert to authenticated
  with check (
    workspace_id in (select m.workspace_id from public.workspace_members m
                     where m.user_id = (select auth.uid()) and m.role = 'owner')
    and (instance_id is null or instance_id in (select i.id from public.widget_instances i
                                                where i.workspace_id = embed_tokens.workspace_id))
  );
create policy embed_tokens_owner_update on embed_tokens for update to authenticated
  using (workspace_id in (select m.workspace_id from public.workspace_members m
                          where m.user_id = (select auth.uid()) and m.role = 'owner'))
  with check (
    workspace_id in (select m.workspace_id from public.workspace_members m
                     where m.user_id = (select auth.uid()) and m.role = 'owner')
    and (instance_id is null or instance_id in (select i.id from public.widget_instances i
                                                where i.workspace_id = embed_tokens.workspace_id))
  );
create policy embed_tokens_owner_delete on embed_tokens for delete to authenticated
  using (workspace_id in (select m.workspace_id from public.workspace_members m
                          where m.user_id = (select auth.uid()) and m.role = 'owner'));

-- The usage flush looks up an instance's current workspace per row, and a claim moves an
-- instance's usage rows: both by instance_id.
create index if not exists usage_counters_daily_instance_idx on usage_counters_daily (instance_id);
