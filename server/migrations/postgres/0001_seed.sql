-- Seed schema (Phase 1) for Postgres, with Supabase-style row-level security.
--
-- Roles are cluster-global while this file runs once per database, and tests create many databases in
-- parallel: every role statement is idempotent and tolerates a concurrent twin (duplicate_object /
-- unique_violation are what a lost race raises).
--
--   authenticated  RLS subject of every dashboard/API request: `SET LOCAL ROLE authenticated` plus
--                  `request.jwt.claims` per transaction, exactly as PostgREST/Supabase do.
--   ck_auth        the auth service path (users, sessions, refresh tokens, magic links, outbox, and the
--                  owner workspace made at signup); no access to widget data.
--   ck_system      system paths (usage ingest, Stripe webhooks, claims, token verification): only the
--                  tables and commands those need, through explicit policies.
--   ck_app         the LOGIN role the server uses. NOINHERIT and without grants of its own: outside a
--                  transaction that switched to one of the roles above it can read nothing.

do $$
declare
  r text;
begin
  foreach r in array array['authenticated', 'ck_auth', 'ck_system'] loop
    begin
      if not exists (select 1 from pg_roles where rolname = r) then
        execute format('create role %I nologin noinherit', r);
      end if;
    exception when duplicate_object or unique_violation then null;
    end;
  end loop;
  begin
    if not exists (select 1 from pg_roles where rolname = 'ck_app') then
      create role ck_app login noinherit;
    end if;
  exception when duplicate_object or unique_violation then null;
  end;
  begin
    grant authenticated, ck_auth, ck_system to ck_app;
  exception when duplicate_object or unique_violation then null;
  end;
end
$$;

-- Supabase's helpers. `nullif(…, '')`: a pooled connection that once ran a transaction-local
-- set_config sees '' afterwards, not NULL, and ''::jsonb would raise.
create schema if not exists auth;

create or replace function auth.jwt() returns jsonb
  language sql stable
  as $$ select nullif(current_setting('request.jwt.claims', true), '')::jsonb $$;

create or replace function auth.uid() returns uuid
  language sql stable
  as $$ select nullif(auth.jwt() ->> 'sub', '')::uuid $$;

-- Helpers that policies call where a plain subquery would make one policy recurse into another.
create schema if not exists private;
revoke all on schema private from public;

grant usage on schema auth to authenticated, ck_auth, ck_system;
grant usage on schema private to authenticated;
grant usage on schema public to authenticated, ck_auth, ck_system;

create table users (
  id uuid primary key,
  email text not null unique,
  password_hash text,
  email_confirmed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table workspaces (
  id uuid primary key,
  name text not null check (length(name) between 1 and 120),
  created_by uuid not null references users (id) on delete restrict,
  created_at timestamptz not null default now()
);
create index workspaces_created_by_idx on workspaces (created_by);

create table workspace_members (
  workspace_id uuid not null references workspaces (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  role text not null default 'owner' check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (workspace_id, user_id)
);
-- Every tenant policy asks "which workspaces is auth.uid() in?": this index answers it.
create index workspace_members_user_idx on workspace_members (user_id, workspace_id);

-- Widget types (catalog, not tenant data).
create table widgets (
  id text primary key check (id ~ '^[a-z][a-z0-9-]{0,31}$'),
  name text not null,
  created_at timestamptz not null default now()
);
insert into widgets (id, name) values ('form', 'Form'), ('announcement', 'Announcement');

-- A deployed widget. workspace_id stays NULL while the instance is an anonymous draft: NULL never
-- matches a membership, so RLS hides drafts from every member, and the FK is only checked once the
-- claim sets it. Only ck_system (drafts, claims, embed reads) touches unclaimed rows.
create table widget_instances (
  id uuid primary key,
  workspace_id uuid references workspaces (id) on delete cascade,
  widget_id text not null references widgets (id),
  name text not null default '',
  config jsonb not null default '{}'::jsonb,
  status text not null default 'active' check (status in ('draft', 'active', 'archived')),
  draft_token_hash bytea unique,
  draft_expires_at timestamptz,
  claimed_at timestamptz,
  claimed_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (workspace_id is not null or status = 'draft')
);
create index widget_instances_workspace_idx on widget_instances (workspace_id);

create table widget_claim_audit (
  id uuid primary key default gen_random_uuid(),
  instance_id uuid references widget_instances (id) on delete set null,
  workspace_id uuid references workspaces (id) on delete cascade,
  user_id uuid references users (id) on delete set null,
  outcome text not null,
  detail text,
  created_at timestamptz not null default now()
);
create index widget_claim_audit_workspace_idx on widget_claim_audit (workspace_id);
create index widget_claim_audit_user_idx on widget_claim_audit (user_id, created_at);

create table embed_tokens (
  id uuid primary key,
  workspace_id uuid references workspaces (id) on delete cascade,
  instance_id uuid references widget_instances (id) on delete cascade,
  token_hash bytea not null unique,
  prefix text not null,
  last4 text not null,
  scope text not null check (scope in ('workspace', 'widget')),
  allowed_origins jsonb not null default '[]'::jsonb,
  status text not null default 'active' check (status in ('active', 'revoked')),
  created_at timestamptz not null default now(),
  last_rotated_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz,
  expires_at timestamptz,
  check (scope = 'workspace' and workspace_id is not null or scope = 'widget' and instance_id is not null)
);
create index embed_tokens_workspace_idx on embed_tokens (workspace_id);
create index embed_tokens_instance_idx on embed_tokens (instance_id);

create table usage_counters_daily (
  day date not null,
  workspace_id uuid references workspaces (id) on delete cascade,
  instance_id uuid references widget_instances (id) on delete cascade,
  token_id uuid not null references embed_tokens (id) on delete cascade,
  loads bigint not null default 0,
  views bigint not null default 0,
  interactions bigint not null default 0,
  errors bigint not null default 0,
  updated_at timestamptz not null default now(),
  unique nulls not distinct (day, token_id, instance_id)
);
create index usage_counters_daily_workspace_idx on usage_counters_daily (workspace_id, day);

create table stripe_customers (
  id text primary key,
  workspace_id uuid references workspaces (id) on delete set null,
  deleted boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index stripe_customers_workspace_idx on stripe_customers (workspace_id);

-- No FK to stripe_customers: Stripe does not promise event order.
create table stripe_subscriptions (
  id text primary key,
  customer_id text not null,
  workspace_id uuid references workspaces (id) on delete set null,
  status text not null,
  price_id text,
  plan text,
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index stripe_subscriptions_workspace_idx on stripe_subscriptions (workspace_id);
create index stripe_subscriptions_customer_idx on stripe_subscriptions (customer_id);

-- Auth. Secrets (refresh tokens, magic links) are stored only as SHA-256 hashes.
create table sessions (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index sessions_user_idx on sessions (user_id);

create table refresh_tokens (
  id uuid primary key,
  session_id uuid not null references sessions (id) on delete cascade,
  token_hash bytea not null unique,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index refresh_tokens_session_idx on refresh_tokens (session_id);

create table magic_links (
  id uuid primary key,
  email text not null,
  token_hash bytea not null unique,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index magic_links_email_idx on magic_links (email, created_at);

-- Development mail sink: written instead of sending when no SMTP server is configured.
create table outbox (
  id uuid primary key,
  to_email text not null,
  subject text not null,
  body text not null,
  created_at timestamptz not null default now()
);
create index outbox_to_idx on outbox (to_email, created_at);

-- Row-level security: on for every table; with RLS on and no permissive policy a role sees and
-- changes nothing (deny by default), so each policy below is an explicit allow.
alter table users enable row level security;
alter table workspaces enable row level security;
alter table workspace_members enable row level security;
alter table widgets enable row level security;
alter table widget_instances enable row level security;
alter table widget_claim_audit enable row level security;
alter table embed_tokens enable row level security;
alter table usage_counters_daily enable row level security;
alter table stripe_customers enable row level security;
alter table stripe_subscriptions enable row level security;
alter table sessions enable row level security;
alter table refresh_tokens enable row level security;
alter table magic_links enable row level security;
alter table outbox enable row level security;

-- SECURITY DEFINER so a workspace_members policy can look at workspaces (whose own policy looks at
-- workspace_members) without Postgres reporting recursion. Pinned search_path: no hijacking.
create or replace function private.created_workspace(ws uuid) returns boolean
  language sql stable security definer set search_path = ''
  as $$ select exists (select 1 from public.workspaces w where w.id = ws and w.created_by = (select auth.uid())) $$;
revoke all on function private.created_workspace(uuid) from public;
grant execute on function private.created_workspace(uuid) to authenticated;

-- authenticated: a member sees and edits only its workspaces' rows.
grant select on users to authenticated;
create policy users_self_select on users for select to authenticated
  using (id = (select auth.uid()));

grant select, insert, update on workspaces to authenticated;
create policy workspaces_member_select on workspaces for select to authenticated
  using (
    created_by = (select auth.uid())
    or id in (select m.workspace_id from workspace_members m where m.user_id = (select auth.uid()))
  );
create policy workspaces_creator_insert on workspaces for insert to authenticated
  with check (created_by = (select auth.uid()));
create policy workspaces_owner_update on workspaces for update to authenticated
  using (id in (select m.workspace_id from workspace_members m
                where m.user_id = (select auth.uid()) and m.role = 'owner'))
  with check (id in (select m.workspace_id from workspace_members m
                     where m.user_id = (select auth.uid()) and m.role = 'owner'));

grant select, insert on workspace_members to authenticated;
create policy workspace_members_self_select on workspace_members for select to authenticated
  using (user_id = (select auth.uid()));
-- Only the creator of a workspace may make itself its Owner (invitations come in Phase 2).
create policy workspace_members_creator_insert on workspace_members for insert to authenticated
  with check (user_id = (select auth.uid()) and role = 'owner' and private.created_workspace(workspace_id));

grant select on widgets to authenticated, ck_system;
create policy widgets_read on widgets for select to authenticated, ck_system using (true);

-- Tenant tables: one uniform member policy per command, on the indexed workspace_id.
do $$
declare
  t text;
  member text := 'workspace_id in (select m.workspace_id from public.workspace_members m '
                 'where m.user_id = (select auth.uid()))';
begin
  foreach t in array array['widget_instances', 'embed_tokens'] loop
    execute format('grant select, insert, update, delete on public.%I to authenticated', t);
    execute format('create policy %I on public.%I for select to authenticated using (%s)', t || '_member_select', t, member);
    execute format('create policy %I on public.%I for insert to authenticated with check (%s)', t || '_member_insert', t, member);
    execute format('create policy %I on public.%I for update to authenticated using (%s) with check (%s)', t || '_member_update', t, member, member);
    execute format('create policy %I on public.%I for delete to authenticated using (%s)', t || '_member_delete', t, member);
  end loop;
  foreach t in array array['widget_claim_audit', 'usage_counters_daily', 'stripe_customers', 'stripe_subscriptions'] loop
    execute format('grant select on public.%I to authenticated', t);
    execute format('create policy %I on public.%I for select to authenticated using (%s)', t || '_member_select', t, member);
  end loop;
end
$$;

-- ck_auth: the auth service's tables, plus creating a user's first workspace at signup.
grant select, insert, update on users, sessions, refresh_tokens, magic_links to ck_auth;
grant insert on outbox to ck_auth;
grant insert on workspaces, workspace_members to ck_auth;
create policy users_auth_all on users for all to ck_auth using (true) with check (true);
create policy sessions_auth_all on sessions for all to ck_auth using (true) with check (true);
create policy refresh_tokens_auth_all on refresh_tokens for all to ck_auth using (true) with check (true);
create policy magic_links_auth_all on magic_links for all to ck_auth using (true) with check (true);
create policy outbox_auth_insert on outbox for insert to ck_auth with check (true);
create policy workspaces_auth_insert on workspaces for insert to ck_auth with check (true);
create policy workspace_members_auth_insert on workspace_members for insert to ck_auth
  with check (role = 'owner');

-- ck_system: ingest, drafts/claims and token checks, Stripe mirroring. Later migrations widen this
-- only by the table and command a new system path needs.
grant select, insert, update on widget_instances, embed_tokens to ck_system;
grant select, insert on widget_claim_audit to ck_system;
grant select, insert, update on usage_counters_daily to ck_system;
grant select, insert, update on stripe_customers, stripe_subscriptions to ck_system;
grant select on workspace_members to ck_system;
create policy widget_instances_system on widget_instances for all to ck_system using (true) with check (true);
create policy embed_tokens_system on embed_tokens for all to ck_system using (true) with check (true);
create policy widget_claim_audit_system on widget_claim_audit for all to ck_system using (true) with check (true);
create policy usage_counters_daily_system on usage_counters_daily for all to ck_system using (true) with check (true);
create policy stripe_customers_system on stripe_customers for all to ck_system using (true) with check (true);
create policy stripe_subscriptions_system on stripe_subscriptions for all to ck_system using (true) with check (true);
create policy workspace_members_system_select on workspace_members for select to ck_system using (true);
