-- Server product (issue 7): token rotation, submissions, claim attempts + audit trigger, Stripe event
-- dedupe, shared rate-limit state. Same shape as the Postgres migration (timestamps: unix ms).

alter table embed_tokens add column prev_token_hash blob;
create unique index embed_tokens_prev_hash_key on embed_tokens (prev_token_hash);
alter table embed_tokens add column prev_valid_until integer;

alter table stripe_subscriptions add column event_created integer not null default 0;
alter table stripe_customers add column event_created integer not null default 0;

create table submissions (
  id blob primary key,
  workspace_id blob references workspaces (id) on delete cascade,
  instance_id blob not null references widget_instances (id) on delete cascade,
  token_id blob references embed_tokens (id) on delete set null,
  data text not null,
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer))
);
create index submissions_instance_idx on submissions (instance_id, created_at desc);
create index submissions_workspace_idx on submissions (workspace_id);

create table claim_attempts (
  id blob primary key default (randomblob(16)),
  user_id blob references users (id) on delete set null,
  ip_hash text not null,
  token_hash blob,
  instance_id blob references widget_instances (id) on delete set null,
  workspace_id blob references workspaces (id) on delete cascade,
  outcome text not null check (outcome in
    ('claimed', 'malformed', 'unknown_token', 'expired', 'already_claimed', 'not_member', 'throttled')),
  created_at integer not null default (cast(unixepoch('subsec') * 1000 as integer))
);
create index claim_attempts_user_idx on claim_attempts (user_id, created_at);
create index claim_attempts_ip_idx on claim_attempts (ip_hash, created_at);
create index claim_attempts_token_idx on claim_attempts (token_hash) where outcome = 'claimed';

-- The audit trail is written by the database, not by application code.
create trigger claim_attempts_audit after insert on claim_attempts
begin
  insert into widget_claim_audit (instance_id, workspace_id, user_id, outcome, detail, created_at)
  values (new.instance_id, new.workspace_id, new.user_id, new.outcome,
          case when new.outcome = 'claimed' then 'draft claimed into workspace'
               else 'claim refused: ' || new.outcome end,
          new.created_at);
end;

create table stripe_events (
  id text primary key,
  type text not null,
  received_at integer not null default (cast(unixepoch('subsec') * 1000 as integer))
);

create table rate_limits (
  key text primary key,
  tat_ms integer not null
);
