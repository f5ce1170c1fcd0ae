//! SQL of users, sessions, refresh tokens, magic links and the development outbox (the auth
//! service's tables; actor `Auth`).

use uuid::Uuid;

use crate::store::{execute, fetch, Ts, Tx};

/// A user as the auth service sees it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct UserRow {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) password_hash: Option<String>,
    pub(crate) email_confirmed_at: Option<Ts>,
}

/// Inserts a user; `Ok(false)` when the email is taken.
pub(crate) async fn insert_user(
    tx: &mut Tx,
    id: Uuid,
    email: &str,
    password_hash: Option<&str>,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    let result = execute!(tx, sqlx::query(
        "insert into users (id, email, password_hash, created_at, updated_at) values ($1, $2, $3, $4, $4) \
         on conflict (email) do nothing")
        .bind(id)
        .bind(email)
        .bind(password_hash)
        .bind(now))?;
    Ok(result == 1)
}

/// Makes sure a user row exists for a verified external token (a Supabase-issued JWT whose user
/// never signed up here), so foreign keys to `users` hold.
pub(crate) async fn ensure_user(
    tx: &mut Tx,
    id: Uuid,
    email: &str,
    now: Ts,
) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into users (id, email, created_at, updated_at) values ($1, $2, $3, $3) on conflict do nothing")
        .bind(id)
        .bind(email)
        .bind(now))?;
    Ok(())
}

pub(crate) async fn find_by_email(
    tx: &mut Tx,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_as::<_, UserRow>(
            "select id, email, password_hash, email_confirmed_at from users where email = $1"
        )
        .bind(email)
    )
}

pub(crate) async fn find_by_id(tx: &mut Tx, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_as::<_, UserRow>(
            "select id, email, password_hash, email_confirmed_at from users where id = $1"
        )
        .bind(id)
    )
}

/// Sets (or with `None` drops) the password.
pub(crate) async fn set_password(
    tx: &mut Tx,
    id: Uuid,
    hash: Option<&str>,
    now: Ts,
) -> Result<(), sqlx::Error> {
    execute!(
        tx,
        sqlx::query("update users set password_hash = $2, updated_at = $3 where id = $1")
            .bind(id)
            .bind(hash)
            .bind(now)
    )?;
    Ok(())
}

/// Moves the account to a new (proven) address; `Ok(false)` when another account has it.
pub(crate) async fn change_email(
    tx: &mut Tx,
    id: Uuid,
    email: &str,
    now: Ts,
) -> Result<bool, sqlx::Error> {
    let taken: Option<(Uuid,)> = fetch!(
        tx,
        fetch_optional,
        sqlx::query_as("select id from users where email = $1 and id <> $2")
            .bind(email)
            .bind(id)
    )?;
    if taken.is_some() {
        return Ok(false);
    }
    execute!(
        tx,
        sqlx::query(
            "update users set email = $2, email_confirmed_at = $3, updated_at = $3 where id = $1"
        )
        .bind(id)
        .bind(email)
        .bind(now)
    )?;
    Ok(true)
}

/// Revokes every live session of `user` except `keep`.
pub(crate) async fn revoke_user_sessions(
    tx: &mut Tx,
    user: Uuid,
    keep: Option<Uuid>,
    now: Ts,
) -> Result<u64, sqlx::Error> {
    execute!(
        tx,
        sqlx::query(
            "update sessions set revoked_at = $3 where user_id = $1 and revoked_at is null \
         and ($2 is null or id <> $2)"
        )
        .bind(user)
        .bind(keep)
        .bind(now)
    )
}

/// Failures under `key` since `since_ms`: (count, last failure in unix ms).
pub(crate) async fn failures(
    tx: &mut Tx,
    key: &str,
    since_ms: i64,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    fetch!(tx, fetch_optional, sqlx::query_as::<_, (i64, i64)>(
        "select cast(failures as bigint), last_ms from auth_failures where key = $1 and last_ms >= $2")
        .bind(key)
        .bind(since_ms))
}

/// Counts one failure under `key`; a count whose last failure is older than `stale_ms` restarts.
pub(crate) async fn record_failure(
    tx: &mut Tx,
    key: &str,
    now_ms: i64,
    stale_ms: i64,
) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into auth_failures as f (key, failures, last_ms) values ($1, 1, $2) on conflict (key) do update \
         set failures = case when f.last_ms < $3 then 1 else f.failures + 1 end, last_ms = $2")
        .bind(key)
        .bind(now_ms)
        .bind(stale_ms))?;
    Ok(())
}

pub(crate) async fn clear_failures(tx: &mut Tx, key: &str) -> Result<(), sqlx::Error> {
    execute!(
        tx,
        sqlx::query("delete from auth_failures where key = $1").bind(key)
    )?;
    Ok(())
}

pub(crate) async fn mark_email_confirmed(
    tx: &mut Tx,
    id: Uuid,
    now: Ts,
) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "update users set email_confirmed_at = coalesce(email_confirmed_at, $2), updated_at = $2 where id = $1")
        .bind(id)
        .bind(now))?;
    Ok(())
}

pub(crate) async fn insert_session(
    tx: &mut Tx,
    id: Uuid,
    user: Uuid,
    now: Ts,
    expires: Ts,
) -> Result<(), sqlx::Error> {
    execute!(
        tx,
        sqlx::query(
            "insert into sessions (id, user_id, created_at, expires_at) values ($1, $2, $3, $4)"
        )
        .bind(id)
        .bind(user)
        .bind(now)
        .bind(expires)
    )?;
    Ok(())
}

/// Whether `session` may still be used: `None` when this server never issued it (a Supabase token),
/// `Some(false)` when revoked or expired.
pub(crate) async fn session_active(
    tx: &mut Tx,
    session: Uuid,
    now: Ts,
) -> Result<Option<bool>, sqlx::Error> {
    let row: Option<(Option<Ts>, Ts)> = fetch!(
        tx,
        fetch_optional,
        sqlx::query_as("select revoked_at, expires_at from sessions where id = $1").bind(session)
    )?;
    Ok(row.map(|(revoked, expires)| revoked.is_none() && expires > now))
}

pub(crate) async fn revoke_session(tx: &mut Tx, session: Uuid, now: Ts) -> Result<(), sqlx::Error> {
    execute!(
        tx,
        sqlx::query("update sessions set revoked_at = coalesce(revoked_at, $2) where id = $1")
            .bind(session)
            .bind(now)
    )?;
    Ok(())
}

pub(crate) async fn insert_refresh_token(
    tx: &mut Tx,
    session: Uuid,
    hash: &[u8],
    now: Ts,
    expires: Ts,
) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into refresh_tokens (id, session_id, token_hash, created_at, expires_at) values ($1, $2, $3, $4, $5)")
        .bind(Uuid::new_v4())
        .bind(session)
        .bind(hash)
        .bind(now)
        .bind(expires))?;
    Ok(())
}

/// Outcome of presenting a refresh token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RefreshUse {
    /// First use of a live token: the session may continue.
    Fresh {
        session: Uuid,
        user: Uuid,
        email: String,
    },
    /// The token was already used (at `used_at`): a second tab racing the first within the grace
    /// window, or a stolen copy.
    Reused { session: Uuid, used_at: Ts },
    /// Unknown, expired, or its session is revoked.
    Invalid,
}

/// Consumes a refresh token atomically: of two concurrent uses, exactly one is `Fresh`.
pub(crate) async fn use_refresh_token(
    tx: &mut Tx,
    hash: &[u8],
    now: Ts,
) -> Result<RefreshUse, sqlx::Error> {
    let consumed: Option<(Uuid,)> = fetch!(tx, fetch_optional, sqlx::query_as(
        "update refresh_tokens set used_at = $2 where token_hash = $1 and used_at is null and expires_at > $2 \
         returning session_id")
        .bind(hash)
        .bind(now))?;
    let Some((session,)) = consumed else {
        let used: Option<(Uuid, Ts)> = fetch!(tx, fetch_optional, sqlx::query_as(
            "select session_id, used_at from refresh_tokens where token_hash = $1 and used_at is not null")
            .bind(hash))?;
        return Ok(used.map_or(RefreshUse::Invalid, |(session, used_at)| {
            RefreshUse::Reused { session, used_at }
        }));
    };
    let owner: Option<(Uuid, String)> = fetch!(
        tx,
        fetch_optional,
        sqlx::query_as(
            "select u.id, u.email from sessions s join users u on u.id = s.user_id \
         where s.id = $1 and s.revoked_at is null and s.expires_at > $2"
        )
        .bind(session)
        .bind(now)
    )?;
    Ok(
        owner.map_or(RefreshUse::Invalid, |(user, email)| RefreshUse::Fresh {
            session,
            user,
            email,
        }),
    )
}

/// The refresh token a rotation minted, if it is still unused and its session live: the owner and
/// email of the session.
pub(crate) async fn live_refresh_token(
    tx: &mut Tx,
    hash: &[u8],
    now: Ts,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_as(
            "select u.id, u.email from refresh_tokens r join sessions s on s.id = r.session_id \
         join users u on u.id = s.user_id where r.token_hash = $1 and r.used_at is null \
         and r.expires_at > $2 and s.revoked_at is null and s.expires_at > $2"
        )
        .bind(hash)
        .bind(now)
    )
}

/// When the newest sign-in link for `email` was requested.
pub(crate) async fn last_magic_link_at(
    tx: &mut Tx,
    email: &str,
) -> Result<Option<Ts>, sqlx::Error> {
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_scalar::<_, Ts>(
            "select created_at from magic_links where email = $1 and purpose = 'signin' \
         order by created_at desc limit 1"
        )
        .bind(email)
    )
}

/// What a magic link does when followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Sign in, creating the account on first use.
    Signin,
    /// Confirm the address of a password sign-up.
    Signup,
    /// Move the account to a new address.
    EmailChange,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Signin => "signin",
            Purpose::Signup => "signup",
            Purpose::EmailChange => "email_change",
        }
    }
}

/// A burnt magic link.
#[derive(Debug)]
pub(crate) struct MagicLink {
    pub(crate) email: String,
    pub(crate) purpose: Purpose,
    pub(crate) user: Option<Uuid>,
}

pub(crate) async fn insert_magic_link(
    tx: &mut Tx,
    email: &str,
    purpose: Purpose,
    user: Option<Uuid>,
    hash: &[u8],
    now: Ts,
    expires: Ts,
) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into magic_links (id, email, purpose, user_id, token_hash, created_at, expires_at) \
         values ($1, $2, $3, $4, $5, $6, $7)")
        .bind(Uuid::new_v4())
        .bind(email)
        .bind(purpose.as_str())
        .bind(user)
        .bind(hash)
        .bind(now)
        .bind(expires))?;
    Ok(())
}

/// Burns a magic link: returns it only on the first use before expiry.
pub(crate) async fn consume_magic_link(
    tx: &mut Tx,
    hash: &[u8],
    now: Ts,
) -> Result<Option<MagicLink>, sqlx::Error> {
    let row: Option<(String, String, Option<Uuid>)> = fetch!(tx, fetch_optional, sqlx::query_as(
        "update magic_links set used_at = $2 where token_hash = $1 and used_at is null and expires_at > $2 \
         returning email, purpose, user_id")
        .bind(hash)
        .bind(now))?;
    Ok(row.map(|(email, purpose, user)| MagicLink {
        email,
        purpose: match purpose.as_str() {
            "signup" => Purpose::Signup,
            "email_change" => Purpose::EmailChange,
            _ => Purpose::Signin,
        },
        user,
    }))
}

/// Keeps a mail in the development outbox (no SMTP configured) until `expires`.
pub(crate) async fn insert_outbox(
    tx: &mut Tx,
    to: &str,
    subject: &str,
    body: &str,
    expires: Ts,
    list_unsubscribe: Option<&str>,
) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into outbox (id, to_email, subject, body, created_at, expires_at, list_unsubscribe) \
         values ($1, $2, $3, $4, $5, $6, $7)")
        .bind(Uuid::new_v4())
        .bind(to)
        .bind(subject)
        .bind(body)
        .bind(Ts::now())
        .bind(expires)
        .bind(list_unsubscribe))?;
    Ok(())
}

/// A development outbox message.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct OutboxMail {
    pub(crate) id: Uuid,
    pub(crate) to_email: String,
    pub(crate) subject: String,
    pub(crate) body: String,
    pub(crate) created_at: Ts,
    /// The one-click unsubscribe URL a real mail would carry in `List-Unsubscribe`.
    pub(crate) list_unsubscribe: Option<String>,
}

/// Unexpired outbox messages, newest first, optionally to one address.
pub(crate) async fn outbox(
    tx: &mut Tx,
    to: Option<&str>,
    now: Ts,
) -> Result<Vec<OutboxMail>, sqlx::Error> {
    fetch!(
        tx,
        fetch_all,
        sqlx::query_as::<_, OutboxMail>(
            "select id, to_email, subject, body, created_at, list_unsubscribe from outbox where expires_at > $1 \
         and ($2 is null or to_email = $2) order by created_at desc limit 100"
        )
        .bind(now)
        .bind(to)
    )
}

/// Deletes what holds or guards expired secrets: outbox mail past its link's expiry (rows from before
/// expiry was recorded included), magic links a day past expiry, stale failure counts.
pub(crate) async fn purge_expired(tx: &mut Tx, now: Ts) -> Result<u64, sqlx::Error> {
    let mut purged = 0;
    purged += execute!(
        tx,
        sqlx::query("delete from outbox where expires_at is null or expires_at <= $1").bind(now)
    )?;
    purged += execute!(
        tx,
        sqlx::query("delete from magic_links where expires_at <= $1")
            .bind(now.plus(time::Duration::days(-1)))
    )?;
    purged += execute!(
        tx,
        sqlx::query("delete from auth_failures where last_ms < $1")
            .bind(now.plus(time::Duration::hours(-1)).millis())
    )?;
    Ok(purged)
}

/// Deletes an account; its sessions, refresh tokens and links go by cascade (its workspaces must
/// be gone already: `workspaces.created_by` restricts).
pub(crate) async fn delete_user(tx: &mut Tx, id: Uuid) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query("delete from users where id = $1").bind(id))?;
    Ok(())
}
