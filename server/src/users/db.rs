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
        sqlx::query_as::<_, UserRow>("select id, email, password_hash from users where email = $1")
            .bind(email)
    )
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
    /// The token was already used: likely stolen, so the caller revokes its session.
    Reused { session: Uuid },
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
        let used: Option<(Uuid,)> = fetch!(tx, fetch_optional, sqlx::query_as(
            "select session_id from refresh_tokens where token_hash = $1 and used_at is not null")
            .bind(hash))?;
        return Ok(
            used.map_or(RefreshUse::Invalid, |(session,)| RefreshUse::Reused {
                session,
            }),
        );
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

/// When the newest magic link for `email` was requested.
pub(crate) async fn last_magic_link_at(
    tx: &mut Tx,
    email: &str,
) -> Result<Option<Ts>, sqlx::Error> {
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_scalar::<_, Ts>(
            "select created_at from magic_links where email = $1 order by created_at desc limit 1"
        )
        .bind(email)
    )
}

pub(crate) async fn insert_magic_link(
    tx: &mut Tx,
    email: &str,
    hash: &[u8],
    now: Ts,
    expires: Ts,
) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into magic_links (id, email, token_hash, created_at, expires_at) values ($1, $2, $3, $4, $5)")
        .bind(Uuid::new_v4())
        .bind(email)
        .bind(hash)
        .bind(now)
        .bind(expires))?;
    Ok(())
}

/// Burns a magic link: returns its email only on the first use before expiry.
pub(crate) async fn consume_magic_link(
    tx: &mut Tx,
    hash: &[u8],
    now: Ts,
) -> Result<Option<String>, sqlx::Error> {
    fetch!(tx, fetch_optional, sqlx::query_scalar::<_, String>(
        "update magic_links set used_at = $2 where token_hash = $1 and used_at is null and expires_at > $2 \
         returning email")
        .bind(hash)
        .bind(now))
}

/// Keeps a mail in the development outbox (no SMTP configured).
pub(crate) async fn insert_outbox(
    tx: &mut Tx,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into outbox (id, to_email, subject, body, created_at) values ($1, $2, $3, $4, $5)")
        .bind(Uuid::new_v4())
        .bind(to)
        .bind(subject)
        .bind(body)
        .bind(Ts::now()))?;
    Ok(())
}
