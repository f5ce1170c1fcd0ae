-- Server product (issue 7): token rotation, submissions, claim attempts + audit trigger, Stripe event
-- dedupe, shared rate-limit state. RLS on every new table: deny by default, explicit allows below.

-- Rotation with a grace period: the previous hash keeps verifying until prev_valid_until.
alter table embed_tokens add column prev_token_hash bytea unique;
alter table embed_tokens add column prev_valid_until timestamptz;

-- Out-of-order Stripe deliveries: an older event never overwrites a newer one.
alter table stripe_subscriptions add column event_created bigint not null default 0;
alter table stripe_customers add column event_created bigint not null default 0;

-- Form submissions. workspace_id is NULL while the instance is an unclaimed draft; the claim fills it.
create table submissions (
  id uuid primary key,
  workspace_id uuid references workspaces (id) on delete cascade,
  instance_id uuid not null references widget_instances (id) on delete cascade,
  token_id uuid references embed_tokens (id) on delete set null,
  data jsonb not null,
  created_at timestamptz not null default now()
);
create index submissions_instance_idx on submissions (instance_id, created_at desc);
create index submissions_workspace_idx on submissions (workspace_id);

-- Every claim attempt, good or bad. Rows are only ever inserted; the trigger below copies each one
-- into widget_claim_audit, so the audit trail cannot be skipped by application code.
-- ip_hash is an HMAC of the client address (never the address itself), used for per-IP backoff.
create table claim_attempts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references users (id) on delete set null,
  ip_hash text not null,
  token_hash bytea,
  instance_id uuid references widget_instances (id) on delete set null,
  workspace_id uuid references workspaces (id) on delete cascade,
  outcome text not null check (outcome in
    ('claimed', 'malformed', 'unknown_token', 'expired', 'already_claimed', 'not_member', 'throttled')),
  created_at timestamptz not null default now()
);
create index claim_attempts_user_idx on claim_attempts (user_id, created_at);
create index claim_attempts_ip_idx on claim_attempts (ip_hash, created_at);
create index claim_attempts_token_idx on claim_attempts (token_hash) where outcome = 'claimed';

-- SECURITY DEFINER: the audit insert must succeed whatever role inserted the attempt; the function
-- only ever copies the new row, with a pinned search_path.
create or replace function private.audit_claim_attempt() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into public.widget_claim_audit (instance_id, workspace_id, user_id, outcome, detail, created_at)
  values (new.instance_id, new.workspace_id, new.user_id, new.outcome,
          case when new.outcome = 'claimed' then 'draft claimed into workspace'
               else 'claim refused: ' || new.outcome end,
          new.created_at);
  return new;
end
$$;
revoke all on function private.audit_claim_attempt() from public;

create trigger claim_attempts_audit after insert on claim_attempts
  for each row execute function private.audit_claim_attempt();

-- Stripe event ids already processed (dedupe of retries and replays).
create table stripe_events (
  id text primary key,
  type text not null,
  received_at timestamptz not null default now()
);

-- Shared GCRA state: theoretical arrival time per key, in unix milliseconds.
create table rate_limits (
  key text primary key,
  tat_ms bigint not null
);

alter table submissions enable row level security;
alter table claim_attempts enable row level security;
alter table stripe_events enable row level security;
alter table rate_limits enable row level security;

-- Members read their workspaces' submissions (and may delete them: the owner's data).
grant select, delete on submissions to authenticated;
create policy submissions_member_select on submissions for select to authenticated
  using (workspace_id in (select m.workspace_id from public.workspace_members m
                          where m.user_id = (select auth.uid())));
create policy submissions_member_delete on submissions for delete to authenticated
  using (workspace_id in (select m.workspace_id from public.workspace_members m
                          where m.user_id = (select auth.uid()) and m.role = 'owner'));

-- ck_system: exactly the commands its paths need.
grant select, insert, update on submissions to ck_system;
create policy submissions_system on submissions for all to ck_system using (true) with check (true);
grant select, insert on claim_attempts to ck_system;
create policy claim_attempts_system_select on claim_attempts for select to ck_system using (true);
create policy claim_attempts_system_insert on claim_attempts for insert to ck_system with check (true);
grant select, insert on stripe_events to ck_system;
create policy stripe_events_system on stripe_events for all to ck_system using (true) with check (true);
grant select, insert, update, delete on rate_limits to ck_system;
create policy rate_limits_system on rate_limits for all to ck_system using (true) with check (true);
-- Expired drafts are deleted by the sweeper (their tokens cascade).
grant delete on widget_instances to ck_system;
-- Flags for the config manifest, and the workspace of a Stripe customer's metadata.
grant select on workspaces to ck_system;
create policy workspaces_system_select on workspaces for select to ck_system using (true);
