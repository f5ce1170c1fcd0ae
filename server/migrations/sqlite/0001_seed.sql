-- Seed schema (Phase 1) for SQLite, the zero-setup default store.
--
-- Same tables and columns as migrations/postgres/0001_seed.sql. Types differ only where SQLite has no
-- native one: uuid -> 16-byte BLOB, timestamptz -> INTEGER unix milliseconds (store::Ts), jsonb ->
-- TEXT, bytea -> BLOB, date -> TEXT 'YYYY-MM-DD'. SQLite has no roles or row-level security: the store
-- layer scopes every tenant query by the caller's workspace memberships instead, and the conformance
-- tests run the same assertions against both stores.

create table users (
  id blob primary key,
  email text not null unique,
  password_hash text,
  email_confirmed_at integer,
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer)),
  updated_at integer not null default (cast(unixepoch('subsec') * 1000 as integer))
);

create table workspaces (
  id blob primary key,
  name text not null check (length(name) between 1 and 120),
  created_by blob not null references users (id) on delete restrict,
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer))
);
create index workspaces_created_by_idx on workspaces (created_by);

create table workspace_members (
  workspace_id blob not null references workspaces (id) on delete cascade,
  user_id blob not null references users (id) on delete cascade,
  role text not null default 'owner' check (role in ('owner', 'admin', 'member')),
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer)),
  primary key (workspace_id, user_id)
);
create index workspace_members_user_idx on workspace_members (user_id, workspace_id);

create table widgets (
  id text primary key,
  name text not null,
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer))
);
insert into widgets (id, name) values ('form', 'Form'), ('announcement', 'Announcement');

-- workspace_id stays NULL while the instance is an anonymous draft (see the Postgres migration).
create table widget_instances (
  id blob primary key,
  workspace_id blob references workspaces (id) on delete cascade,
  widget_id text not null references widgets (id),
  name text not null default '',
  config text not null default '{}',
  status text not null default 'active' check (status in ('draft', 'active', 'archived')),
  draft_token_hash blob unique,
  draft_expires_at integer,
  claimed_at integer,
  claimed_by blob references users (id) on delete set null,
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer)),
  updated_at integer not null default (cast(unixepoch('subsec') * 1000 as integer)),
  check (workspace_id is not null or status = 'draft')
);
create index widget_instances_workspace_idx on widget_instances (workspace_id);

create table widget_claim_audit (
  id blob primary key default (randomblob(16)),
  instance_id blob references widget_instances (id) on delete set null,
  workspace_id blob references workspaces (id) on delete cascade,
  user_id blob references users (id) on delete set null,
  outcome text not null,
  detail text,
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer))
);
create index widget_claim_audit_workspace_idx on widget_claim_audit (workspace_id);
create index widget_claim_audit_user_idx on widget_claim_audit (user_id, created_at);

create table embed_tokens (
  id blob primary key,
  workspace_id blob references workspaces (id) on delete cascade,
  instance_id blob references widget_instances (id) on delete cascade,
  token_hash blob not null unique,
  prefix text not null,
  last4 text not null,
  scope text not null check (scope in ('workspace', 'widget')),
  allowed_origins text not null default '[]',
  status text not null default 'active' check (status in ('active', 'revoked')),
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer)),
  last_rotated_at integer,
  last_used_at integer,
  revoked_at integer,
  expires_at integer,
  check (scope = 'workspace' and workspace_id is not null or scope = 'widget' and instance_id is not null)
);
create index embed_tokens_workspace_idx on embed_tokens (workspace_id);
create index embed_tokens_instance_idx on embed_tokens (instance_id);

create table usage_counters_daily (
  day text not null,
  workspace_id blob references workspaces (id) on delete cascade,
  instance_id blob references widget_instances (id) on delete cascade,
  token_id blob not null references embed_tokens (id) on delete cascade,
  loads integer not null default 0,
  views integer not null default 0,
  interactions integer not null default 0,
  errors integer not null default 0,
  updated_at integer not null default (cast(unixepoch('subsec') * 1000 as integer))
);
-- SQLite treats NULLs as distinct in UNIQUE; the expression index gives Postgres' NULLS NOT DISTINCT.
create unique index usage_counters_daily_key on usage_counters_daily (day, token_id, ifnull(instance_id, x''));
create index usage_counters_daily_workspace_idx on usage_counters_daily (workspace_id, day);

create table stripe_customers (
  id text primary key,
  workspace_id blob references workspaces (id) on delete set null,
  deleted integer not null default 0,
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer)),
  updated_at integer not null default (cast(unixepoch('subsec') * 1000 as integer))
);
create index stripe_customers_workspace_idx on stripe_customers (workspace_id);

create table stripe_subscriptions (
  id text primary key,
  customer_id text not null,
  workspace_id blob references workspaces (id) on delete set null,
  status text not null,
  price_id text,
  plan text,
  current_period_end integer,
  cancel_at_period_end integer not null default 0,
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer)),
  updated_at integer not null default (cast(unixepoch('subsec') * 1000 as integer))
);
create index stripe_subscriptions_workspace_idx on stripe_subscriptions (workspace_id);
create index stripe_subscriptions_customer_idx on stripe_subscriptions (customer_id);

create table sessions (
  id blob primary key,
  user_id blob not null references users (id) on delete cascade,
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer)),
  expires_at integer not null,
  revoked_at integer
);
create index sessions_user_idx on sessions (user_id);

create table refresh_tokens (
  id blob primary key,
  session_id blob not null references sessions (id) on delete cascade,
  token_hash blob not null unique,
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer)),
  expires_at integer not null,
  used_at integer
);
create index refresh_tokens_session_idx on refresh_tokens (session_id);

create table magic_links (
  id blob primary key,
  email text not null,
  token_hash blob not null unique,
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer)),
  expires_at integer not null,
  used_at integer
);
create index magic_links_email_idx on magic_links (email, created_at);

create table outbox (
  id blob primary key,
  to_email text not null,
  subject text not null,
  body text not null,
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer))
);
create index outbox_to_idx on outbox (to_email, created_at);
