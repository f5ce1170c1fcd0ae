-- Webhooks and email notifications (issue 21): signed webhook endpoints per workspace, per-widget
-- notification settings, and one durable outbox for both with its delivery log.
--
-- A submission's outbox rows are inserted in the transaction that stores it (ck_system). Workers in
-- any number of server processes claim due rows with a lease (`for update skip locked`), so a row
-- is delivered by one process at a time; a row whose lease ran out (a process died mid-delivery) is
-- claimed again. Secrets are never stored: an endpoint keeps a random salt, and its signing secret
-- is derived from the salt and the server's key (CK_WEBHOOK_KEY), so a database dump alone cannot
-- sign.

create table webhook_endpoints (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade,
  url text not null check (length(url) <= 2048),
  description text not null default '' check (length(description) <= 200),
  -- NULL: every widget of the workspace; else a JSON array of widget instance ids.
  instance_ids jsonb,
  active boolean not null default true,
  secret_salt bytea not null,
  secret_hint text not null,
  created_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now()
);
create index webhook_endpoints_workspace_idx on webhook_endpoints (workspace_id);

-- Per owner and widget: mail on every submission, a daily digest, or nothing (no row: nothing).
create table notification_settings (
  instance_id uuid not null references widget_instances (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  workspace_id uuid not null references workspaces (id) on delete cascade,
  mode text not null check (mode in ('each', 'digest', 'none')),
  updated_at timestamptz not null default now(),
  primary key (instance_id, user_id)
);

-- The outbox: one row per thing to deliver (a webhook call, a notification mail, a day's digest).
-- Its id is the delivery id receivers dedupe by.
create table delivery_outbox (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade,
  kind text not null check (kind in ('webhook', 'email', 'digest')),
  endpoint_id uuid references webhook_endpoints (id) on delete cascade,
  user_id uuid references users (id) on delete cascade,
  instance_id uuid references widget_instances (id) on delete cascade,
  submission_id uuid references submissions (id) on delete cascade,
  -- Digests: the UTC day (YYYY-MM-DD) they gather.
  digest_day text,
  -- Webhooks: the exact JSON body, so every attempt sends (and signs) the same bytes.
  payload text,
  state text not null default 'pending' check (state in ('pending', 'delivered', 'dead', 'cancelled')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  lease_owner uuid,
  lease_until timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index delivery_outbox_due_idx on delivery_outbox (next_attempt_at) where state = 'pending';
create index delivery_outbox_workspace_idx on delivery_outbox (workspace_id, created_at desc);
-- One digest per owner, widget and day (NULLs never collide: other kinds are unaffected).
create unique index delivery_outbox_digest_idx on delivery_outbox (user_id, instance_id, digest_day);

-- Every attempt: outcome, response status, a bounded snippet of the response body, timing.
create table delivery_attempts (
  id uuid primary key,
  delivery_id uuid not null references delivery_outbox (id) on delete cascade,
  workspace_id uuid not null references workspaces (id) on delete cascade,
  attempt integer not null,
  outcome text not null check (outcome in ('delivered', 'failed')),
  response_status integer,
  response_snippet text check (length(response_snippet) <= 1024),
  error text,
  duration_ms integer not null,
  started_at timestamptz not null
);
create index delivery_attempts_delivery_idx on delivery_attempts (delivery_id, started_at);

-- The development mail page shows the one-click unsubscribe a real mail carries in its headers.
alter table outbox add column list_unsubscribe text;

alter table webhook_endpoints enable row level security;
alter table notification_settings enable row level security;
alter table delivery_outbox enable row level security;
alter table delivery_attempts enable row level security;

-- Owners manage their workspaces' endpoints and see and redeliver their deliveries; nobody else
-- (members included) sees URLs, deliveries or response bodies.
grant select, insert, update, delete on webhook_endpoints to authenticated;
create policy webhook_endpoints_owner_all on webhook_endpoints for all to authenticated
  using (workspace_id in (select m.workspace_id from public.workspace_members m
                          where m.user_id = (select auth.uid()) and m.role = 'owner'))
  with check (workspace_id in (select m.workspace_id from public.workspace_members m
                               where m.user_id = (select auth.uid()) and m.role = 'owner'));

grant select, update on delivery_outbox to authenticated;
create policy delivery_outbox_owner_select on delivery_outbox for select to authenticated
  using (workspace_id in (select m.workspace_id from public.workspace_members m
                          where m.user_id = (select auth.uid()) and m.role = 'owner'));
create policy delivery_outbox_owner_update on delivery_outbox for update to authenticated
  using (workspace_id in (select m.workspace_id from public.workspace_members m
                          where m.user_id = (select auth.uid()) and m.role = 'owner'))
  with check (workspace_id in (select m.workspace_id from public.workspace_members m
                               where m.user_id = (select auth.uid()) and m.role = 'owner'));

grant select on delivery_attempts to authenticated;
create policy delivery_attempts_owner_select on delivery_attempts for select to authenticated
  using (workspace_id in (select m.workspace_id from public.workspace_members m
                          where m.user_id = (select auth.uid()) and m.role = 'owner'));

-- An owner's own settings, for widgets of a workspace they own.
grant select, insert, update, delete on notification_settings to authenticated;
create policy notification_settings_owner_all on notification_settings for all to authenticated
  using (user_id = (select auth.uid())
         and workspace_id in (select m.workspace_id from public.workspace_members m
                              where m.user_id = (select auth.uid()) and m.role = 'owner'))
  with check (user_id = (select auth.uid())
              and workspace_id in (select m.workspace_id from public.workspace_members m
                                   where m.user_id = (select auth.uid()) and m.role = 'owner')
              and instance_id in (select i.id from public.widget_instances i
                                  where i.workspace_id = notification_settings.workspace_id));

-- ck_system: the submit path enqueues, the workers deliver, the signed unsubscribe link turns a
-- setting off; recipients' addresses only (a column grant), nothing else of users.
grant select on webhook_endpoints to ck_system;
create policy webhook_endpoints_system_select on webhook_endpoints for select to ck_system using (true);
grant select, update on notification_settings to ck_system;
create policy notification_settings_system on notification_settings for all to ck_system using (true) with check (true);
grant select, insert, update, delete on delivery_outbox to ck_system;
create policy delivery_outbox_system on delivery_outbox for all to ck_system using (true) with check (true);
grant select, insert on delivery_attempts to ck_system;
create policy delivery_attempts_system_select on delivery_attempts for select to ck_system using (true);
create policy delivery_attempts_system_insert on delivery_attempts for insert to ck_system with check (true);
grant select (id, email) on users to ck_system;
create policy users_system_select on users for select to ck_system using (true);
