-- Webhooks and email notifications (issue 21): signed webhook endpoints per workspace, per-widget
-- notification settings, and one durable outbox for both with its delivery log. SQLite has no
-- row-level security: owner-only access is checked in the queries (webhooks::db). Claims of due
-- rows run in BEGIN IMMEDIATE transactions, so two processes on one file never claim the same row.
-- Secrets are never stored: an endpoint keeps a random salt; its signing secret is derived from the
-- salt and the server's key (CK_WEBHOOK_KEY).

create table webhook_endpoints (
  id blob primary key,
  workspace_id blob not null references workspaces (id) on delete cascade,
  url text not null check (length(url) <= 2048),
  description text not null default '' check (length(description) <= 200),
  instance_ids text,
  active integer not null default 1,
  secret_salt blob not null,
  secret_hint text not null,
  created_by blob references users (id) on delete set null,
  created_at integer not null
);
create index webhook_endpoints_workspace_idx on webhook_endpoints (workspace_id);

create table notification_settings (
  instance_id blob not null references widget_instances (id) on delete cascade,
  user_id blob not null references users (id) on delete cascade,
  workspace_id blob not null references workspaces (id) on delete cascade,
  mode text not null check (mode in ('each', 'digest', 'none')),
  updated_at integer not null,
  primary key (instance_id, user_id)
);

create table delivery_outbox (
  id blob primary key,
  workspace_id blob not null references workspaces (id) on delete cascade,
  kind text not null check (kind in ('webhook', 'email', 'digest')),
  endpoint_id blob references webhook_endpoints (id) on delete cascade,
  user_id blob references users (id) on delete cascade,
  instance_id blob references widget_instances (id) on delete cascade,
  submission_id blob references submissions (id) on delete cascade,
  digest_day text,
  payload text,
  state text not null default 'pending' check (state in ('pending', 'delivered', 'dead', 'cancelled')),
  attempts integer not null default 0,
  next_attempt_at integer not null,
  lease_owner blob,
  lease_until integer,
  last_error text,
  created_at integer not null,
  updated_at integer not null
);
create index delivery_outbox_due_idx on delivery_outbox (next_attempt_at) where state = 'pending';
create index delivery_outbox_workspace_idx on delivery_outbox (workspace_id, created_at desc);
create unique index delivery_outbox_digest_idx on delivery_outbox (user_id, instance_id, digest_day);

create table delivery_attempts (
  id blob primary key,
  delivery_id blob not null references delivery_outbox (id) on delete cascade,
  workspace_id blob not null references workspaces (id) on delete cascade,
  attempt integer not null,
  outcome text not null check (outcome in ('delivered', 'failed')),
  response_status integer,
  response_snippet text check (length(response_snippet) <= 1024),
  error text,
  duration_ms integer not null,
  started_at integer not null
);
create index delivery_attempts_delivery_idx on delivery_attempts (delivery_id, started_at);

alter table outbox add column list_unsubscribe text;
