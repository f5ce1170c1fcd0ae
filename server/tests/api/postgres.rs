//! Postgres only: several server processes on one database, and row-level security at the SQL
//! level (the wall under the app's own query scoping).

use std::time::Duration;

use ck_server::{spawn, Limit};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::{postgres::PgPoolOptions, PgPool, Row};
use uuid::Uuid;

use crate::common::{
    assert_draft_limited, draft, get, login, manifest_path, post, signup, signup_full, try_claim,
    user_id, workspace_of, Store,
};

/// Two server processes on one Postgres database behave as one service.
#[tokio::test]
async fn two_servers_share_one_postgres() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    let one = store.start().await;
    let two = store.start().await;
    assert_ne!(one.addr, two.addr);
    signup(&one, "shared@example.com").await;
    let login = login(&two, "shared@example.com").await;
    let token = login["access_token"].as_str().expect("token");
    let res = post(
        &two,
        "/api/v1/workspaces",
        &json!({"name": "Made on two"}),
        Some(token),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let list = get(&one, "/api/v1/workspaces", Some(token)).await.json();
    let names: Vec<_> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|w| w["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["WS of shared@example.com", "Made on two"]);
    // Logout on one server is honoured by the other.
    let res = post(&one, "/api/v1/auth/logout", &json!({}), Some(token)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = get(&two, "/api/v1/workspaces", Some(token)).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    one.shutdown().await.expect("shutdown");
    two.shutdown().await.expect("shutdown");
    store.cleanup().await;
}

/// Runs `sql` as the server's login role, switched to `authenticated` with `user`'s claims, the way
/// every request transaction does, and returns the rows' first columns as text.
async fn as_member(app: &PgPool, user: Uuid, sql: &str) -> Result<Vec<String>, sqlx::Error> {
    let mut tx = app.begin().await?;
    let claims = json!({"sub": user, "role": "authenticated", "aud": "authenticated"}).to_string();
    sqlx::query("select set_config('request.jwt.claims', $1, true)")
        .bind(claims)
        .execute(&mut *tx)
        .await?;
    sqlx::query("set local role authenticated")
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query(sql).fetch_all(&mut *tx).await?;
    let out = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0).unwrap_or_default())
        .collect();
    tx.commit().await?;
    Ok(out)
}

/// RLS at the SQL level: unscoped statements of a member of workspace A never see or touch B.
#[tokio::test]
async fn postgres_rls_isolates_workspaces() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    let server = store.start().await;
    let a = signup_full(&server, "rls-a@example.com").await;
    let b = signup_full(&server, "rls-b@example.com").await;
    let (user_a, user_b) = (user_id(&a), user_id(&b));
    let owner = store.owner_pool().await.expect("owner");
    let (ws_a, ws_b) = (
        workspace_of(&owner, user_a).await,
        workspace_of(&owner, user_b).await,
    );
    // Seed as the owner (bypassing RLS): two instances in A, one in B, one anonymous draft, a token each.
    for (id, w, name) in [
        (Uuid::new_v4(), Some(ws_a), "a1"),
        (Uuid::new_v4(), Some(ws_a), "a2"),
        (Uuid::new_v4(), Some(ws_b), "b1"),
        (Uuid::new_v4(), None, "draft"),
    ] {
        sqlx::query("insert into widget_instances (id, workspace_id, widget_id, name, status) values ($1, $2, 'form', $3, $4)")
            .bind(id)
            .bind(w)
            .bind(name)
            .bind(if w.is_some() { "active" } else { "draft" })
            .execute(&owner)
            .await
            .expect("seed instance");
        sqlx::query(
            "insert into embed_tokens (id, workspace_id, instance_id, token_hash, prefix, last4, scope) \
             values ($1, $2, $3, $4, 'ck_pub_', 'abcd', 'widget')",
        )
        .bind(Uuid::new_v4())
        .bind(w)
        .bind(id)
        .bind(Uuid::new_v4().as_bytes().to_vec())
        .execute(&owner)
        .await
        .expect("seed token");
    }
    let app = PgPoolOptions::new()
        .max_connections(2)
        .connect(store.config().database_app_url.as_deref().expect("app url"))
        .await
        .expect("app pool");

    let mut names = as_member(&app, user_a, "select name from widget_instances")
        .await
        .expect("select");
    names.sort();
    assert_eq!(
        names,
        ["a1", "a2"],
        "A sees only its instances: no B rows, no drafts"
    );
    assert_eq!(
        as_member(&app, user_b, "select name from widget_instances")
            .await
            .expect("select"),
        ["b1"]
    );
    assert_eq!(
        as_member(&app, user_a, "select id::text from workspaces")
            .await
            .expect("select"),
        [ws_a.to_string()]
    );
    assert_eq!(
        as_member(&app, user_a, "select prefix from embed_tokens")
            .await
            .expect("select")
            .len(),
        2,
        "tokens of A only"
    );
    assert_eq!(
        as_member(&app, user_a, "select email from users")
            .await
            .expect("select"),
        ["rls-a@example.com"]
    );
    assert!(
        as_member(&app, user_a, "select email from outbox")
            .await
            .is_err(),
        "no grant on auth tables"
    );
    assert!(as_member(&app, user_a, "select id::text from sessions")
        .await
        .is_err());

    let insert = format!(
        "insert into widget_instances (id, workspace_id, widget_id, name) values ('{}', '{ws_b}', 'form', 'intruder') returning name",
        Uuid::new_v4()
    );
    let err = as_member(&app, user_a, &insert)
        .await
        .expect_err("insert into B refused");
    assert!(err.to_string().contains("row-level security"), "{err}");
    let moved = as_member(
        &app,
        user_a,
        &format!(
            "update widget_instances set workspace_id = '{ws_b}' where name = 'a1' returning name"
        ),
    )
    .await;
    assert!(moved.is_err(), "moving a row into B violates WITH CHECK");
    assert!(as_member(
        &app,
        user_a,
        "update widget_instances set name = 'pwned' returning name"
    )
    .await
    .expect("update")
    .iter()
    .all(|n| n == "pwned"));
    assert!(as_member(
        &app,
        user_a,
        "delete from widget_instances where name = 'b1' returning name"
    )
    .await
    .expect("delete")
    .is_empty());
    let b_names: Vec<String> =
        sqlx::query_scalar("select name from widget_instances where workspace_id = $1")
            .bind(ws_b)
            .fetch_all(&owner)
            .await
            .expect("owner read");
    assert_eq!(b_names, ["b1"], "B untouched");
    let member_insert =
        format!("insert into workspace_members (workspace_id, user_id, role) values ('{ws_b}', '{user_a}', 'owner') returning role");
    assert!(
        as_member(&app, user_a, &member_insert).await.is_err(),
        "cannot join B"
    );

    // The login role itself (NOINHERIT) reads nothing without switching role.
    let direct = sqlx::query("select * from widget_instances")
        .fetch_all(&app)
        .await;
    assert!(
        direct.is_err(),
        "ck_app must not read tenant tables directly"
    );
    // Without claims, authenticated sees nothing (pooled connection after a transaction: '' not NULL).
    let mut tx = app.begin().await.expect("tx");
    sqlx::query("set local role authenticated")
        .execute(&mut *tx)
        .await
        .expect("role");
    let n: i64 = sqlx::query_scalar("select count(*) from widget_instances")
        .fetch_one(&mut *tx)
        .await
        .expect("count");
    assert_eq!(n, 0);
    tx.rollback().await.expect("rollback");

    app.close().await;
    owner.close().await;
    server.shutdown().await.expect("shutdown");
    store.cleanup().await;
}

/// Two server processes on one Postgres: a revoked token is refused by the *other* process within
/// the token cache TTL, and the shared rate limit holds across both.
#[tokio::test]
async fn postgres_two_processes_revocation_and_shared_limits() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    const TTL_MS: u64 = 1000;
    let mut config = store.config();
    config.product.token_cache_ttl_ms = TTL_MS;
    config.product.limit_drafts_ip = Limit {
        per_minute: 1,
        burst: 3,
    };
    let a = spawn(config.clone()).await.expect("server a");
    let b = spawn(config).await.expect("server b");

    let (id, _, draft_token) = draft(&a).await;
    let (user, ws) = signup(&a, "two@example.com").await;
    assert_eq!(
        try_claim(&b, &draft_token, Some(&user)).await.status,
        StatusCode::OK
    );
    let res = post(
        &a,
        &format!("/api/v1/workspaces/{ws}/tokens"),
        &json!({"scope": "workspace"}),
        Some(&user),
    )
    .await;
    let token = res.json()["token"].as_str().expect("token").to_owned();
    let token_id = res.json()["id"].as_str().expect("id").to_owned();
    // Warm B's cache.
    assert_eq!(
        get(&b, &manifest_path(&id, &token), None).await.status,
        StatusCode::OK
    );

    let revoked_at = std::time::Instant::now();
    let res = post(
        &a,
        &format!("/api/v1/workspaces/{ws}/tokens/{token_id}/revoke"),
        &json!({}),
        Some(&user),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let refused_after = loop {
        let res = get(&b, &manifest_path(&id, &token), None).await;
        if res.status == StatusCode::UNAUTHORIZED {
            break revoked_at.elapsed();
        }
        assert_eq!(res.status, StatusCode::OK);
        assert!(
            revoked_at.elapsed() < Duration::from_millis(TTL_MS + 2000),
            "still accepted after {:?}",
            revoked_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        refused_after <= Duration::from_millis(TTL_MS + 500),
        "{refused_after:?}"
    );

    // Burst 3 per IP across both processes: one draft was made above; two more, then 429 on either.
    draft(&b).await;
    draft(&a).await;
    assert_draft_limited(&b).await;

    a.shutdown().await.expect("a");
    b.shutdown().await.expect("b");
    store.cleanup().await;
}
