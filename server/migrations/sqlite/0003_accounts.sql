-- Accounts hardening (issue 11): what a magic link is for, when a development mail expires, and the
-- failure counters behind the auth backoff.

-- `signin`: sign in (or create the account); `signup`: confirm the address given at sign-up, keeping
-- its password; `email_change`: move `user_id` to `email` (the new address).
alter table magic_links add column purpose text not null default 'signin'
  check (purpose in ('signin', 'signup', 'email_change'));
alter table magic_links add column user_id blob references users (id) on delete cascade;

-- Development outbox rows hold live links in plain text: they are purged once expired.
alter table outbox add column expires_at integer;

-- Failed auth attempts per key (`ip:…`, `acct:…`): the exponential backoff's input.
create table auth_failures (
  key text primary key,
  failures integer not null,
  last_ms integer not null
);
