-- Accounts hardening (issue 11): what a magic link is for, when a development mail expires, and the
-- failure counters behind the auth backoff (shared by every server process).

-- `signin`: sign in (or create the account); `signup`: confirm the address given at sign-up, keeping
-- its password; `email_change`: move `user_id` to `email` (the new address).
alter table magic_links add column purpose text not null default 'signin'
  check (purpose in ('signin', 'signup', 'email_change'));
alter table magic_links add column user_id uuid references users (id) on delete cascade;

-- Development outbox rows hold live links in plain text: they are purged once expired.
alter table outbox add column expires_at timestamptz;

-- Failed auth attempts per key (`ip:…`, `acct:…`): the exponential backoff's input.
create table auth_failures (
  key text primary key,
  failures integer not null,
  last_ms bigint not null
);
alter table auth_failures enable row level security;
grant select, insert, update, delete on auth_failures to ck_auth;
create policy auth_failures_auth_all on auth_failures for all to ck_auth using (true) with check (true);

-- The development mail page reads the outbox; the sweeper deletes expired rows.
grant select, delete on outbox to ck_auth;
create policy outbox_auth_select on outbox for select to ck_auth using (true);
create policy outbox_auth_delete on outbox for delete to ck_auth using (true);
-- Sweeping used and expired magic links.
grant delete on magic_links to ck_auth;
