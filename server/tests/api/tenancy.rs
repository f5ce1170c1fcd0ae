//! Tenancy and abuse at scale: row-level security of every tenant table at the SQL level, the
//! application role's checks at startup, usage that follows a claim, client addresses behind a
//! trusted proxy, the config manifest's limits and who may read `/metrics`.

use std::time::Duration;

use ck_server::{spawn, Limit};
use reqwest::{header, StatusCode};
use serde_json::json;
use sqlx::{postgres::PgPoolOptions, Connection, Executor, PgPool};
use uuid::Uuid;

use crate::common::{
    assert_error, both_stores, claim, client, draft, get, manifest_path, pg_base, send, signup,
    signup_full, user_id, workspace_of, Store,
};

/// What a statement may do: return at least one row, or nothing (an error, or no row visible).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum May {
    Allowed,
    Denied,
}

/// Who runs a statement: A (Owner of workspace A), M (plain member of A), both Owners of nothing
/// in workspace B.
#[derive(Clone, Copy, Debug)]
enum Who {
    A,
    M,
}

/// Runs `sql` the way a request transaction does (the login role `ck_app`, `SET LOCAL ROLE
/// authenticated`, Supabase-shaped claims for `auth.uid()`) and rolls back. `Ok(rows)` or the error.
async fn attempt(app: &PgPool, user: Uuid, sql: &str) -> Result<usize, String> {
    let mut tx = app.begin().await.map_err(|e| e.to_string())?;
    let claims = json!({"sub": user, "role": "authenticated", "aud": "authenticated"}).to_string();
    sqlx::query("set local role authenticated")
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("select set_config('request.jwt.claims', $1, true)")
        .bind(claims)
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    let rows = sqlx::query(sql)
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| e.to_string());
    tx.rollback().await.ok();
    rows.map(|r| r.len())
}

/// Every tenant table, as the `authenticated` role: A cannot read, insert, update or delete B's
/// rows; a member cannot do owner-only writes (instances, tokens, workspace settings,
/// submissions); a token can only point at an instance of its own workspace. Positive controls
/// prove each statement could succeed where it should.
#[tokio::test]
async fn postgres_rls_every_tenant_table() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    let server = store.start().await;
    let user_a = user_id(&signup_full(&server, "ten-a@example.com").await);
    let user_b = user_id(&signup_full(&server, "ten-b@example.com").await);
    let user_m = user_id(&signup_full(&server, "ten-m@example.com").await);
    server.shutdown().await.expect("shutdown");
    let owner = store.owner_pool().await.expect("owner");
    let (ws_a, ws_b) = (
        workspace_of(&owner, user_a).await,
        workspace_of(&owner, user_b).await,
    );
    sqlx::query(
        "insert into workspace_members (workspace_id, user_id, role) values ($1, $2, 'member')",
    )
    .bind(ws_a)
    .bind(user_m)
    .execute(&owner)
    .await
    .expect("member");

    // Seed as the owner (RLS does not apply): in each workspace an instance, a token, usage, a
    // submission, a Stripe customer and subscription, a claim attempt (and its audit row); plus a draft.
    let (inst_a, inst_b, draft_id) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let (tok_a, tok_b) = (Uuid::new_v4(), Uuid::new_v4());
    for (inst, ws, status) in [
        (inst_a, Some(ws_a), "active"),
        (inst_b, Some(ws_b), "active"),
        (draft_id, None, "draft"),
    ] {
        sqlx::query("insert into widget_instances (id, workspace_id, widget_id, status) values ($1, $2, 'form', $3)")
            .bind(inst).bind(ws).bind(status).execute(&owner).await.expect("instance");
    }
    for (tok, ws, inst, tag) in [(tok_a, ws_a, inst_a, "a"), (tok_b, ws_b, inst_b, "b")] {
        let seed = format!(
            "insert into embed_tokens (id, workspace_id, instance_id, token_hash, prefix, last4, scope) \
             values ('{tok}', '{ws}', '{inst}', decode(md5(random()::text), 'hex'), 'ck_pub_', 'abcd', 'widget');
             insert into usage_counters_daily (day, workspace_id, instance_id, token_id, views) \
             values (current_date, '{ws}', '{inst}', '{tok}', 1);
             insert into submissions (id, workspace_id, instance_id, token_id, data) \
             values (gen_random_uuid(), '{ws}', '{inst}', '{tok}', '{{}}');
             insert into stripe_customers (id, workspace_id) values ('cus_{tag}', '{ws}');
             insert into stripe_subscriptions (id, customer_id, workspace_id, status, plan) \
             values ('sub_{tag}', 'cus_{tag}', '{ws}', 'active', 'pro');
             insert into claim_attempts (ip_hash, instance_id, workspace_id, outcome) \
             values ('h', '{inst}', '{ws}', 'claimed');"
        );
        owner.execute(seed.as_str()).await.expect("seed");
    }
    let app = PgPoolOptions::new()
        .max_connections(2)
        .connect(store.config().database_app_url.as_deref().expect("app url"))
        .await
        .expect("app pool");

    use May::{Allowed, Denied};
    use Who::{A, M};
    // {ws_b} etc. are filled in below; {new} is a fresh uuid, {hash} fresh bytes.
    let mut cases: Vec<(&str, Who, May, &str)> = Vec::new();
    // A against B, every tenant table and command.
    for table in [
        "widget_instances",
        "embed_tokens",
        "widget_claim_audit",
        "usage_counters_daily",
        "stripe_customers",
        "stripe_subscriptions",
        "submissions",
        "claim_attempts",
        "workspace_members",
    ] {
        cases.push((
            table,
            A,
            Denied,
            "select 1 from {t} where workspace_id = '{ws_b}'",
        ));
        cases.push((
            table,
            A,
            Denied,
            "update {t} set workspace_id = workspace_id where workspace_id = '{ws_b}' returning 1",
        ));
        cases.push((
            table,
            A,
            Denied,
            "delete from {t} where workspace_id = '{ws_b}' returning 1",
        ));
        // Control: A sees its own rows (claim_attempts: no member access at all).
        let own = if table == "claim_attempts" {
            Denied
        } else {
            Allowed
        };
        cases.push((
            table,
            A,
            own,
            "select 1 from {t} where workspace_id = '{ws_a}'",
        ));
    }
    cases.extend([
        ("workspaces", A, Denied, "select 1 from workspaces where id = '{ws_b}'"),
        ("workspaces", A, Denied, "update workspaces set name = 'x' where id = '{ws_b}' returning 1"),
        ("workspaces", A, Denied, "delete from workspaces where id = '{ws_b}' returning 1"),
        ("workspaces", A, Denied, "insert into workspaces (id, name, created_by) values ('{new}', 'x', '{user_b}') returning 1"),
        ("workspaces", A, Allowed, "update workspaces set name = 'x' where id = '{ws_a}' returning 1"),
        ("users", A, Denied, "select 1 from users where id = '{user_b}'"),
        ("users", A, Denied, "update users set email = 'x@x' where id = '{user_b}' returning 1"),
        ("users", A, Denied, "delete from users where id = '{user_b}' returning 1"),
        ("users", A, Allowed, "select 1 from users where id = '{user_a}'"),
        ("workspace_members", A, Denied, "insert into workspace_members (workspace_id, user_id, role) values ('{ws_b}', '{user_a}', 'owner') returning 1"),
        ("widget_instances", A, Denied, "insert into widget_instances (id, workspace_id, widget_id) values ('{new}', '{ws_b}', 'form') returning 1"),
        ("widget_instances", A, Denied, "update widget_instances set workspace_id = '{ws_b}' where id = '{inst_a}' returning 1"),
        ("widget_instances", A, Denied, "select 1 from widget_instances where id = '{draft}'"),
        ("embed_tokens", A, Denied, "insert into embed_tokens (id, workspace_id, token_hash, prefix, last4, scope) values ('{new}', '{ws_b}', {hash}, 'ck_pub_', 'abcd', 'workspace') returning 1"),
        ("embed_tokens", A, Denied, "update embed_tokens set workspace_id = '{ws_b}' where id = '{tok_a}' returning 1"),
        ("widget_claim_audit", A, Denied, "insert into widget_claim_audit (workspace_id, outcome) values ('{ws_b}', 'claimed') returning 1"),
        ("usage_counters_daily", A, Denied, "insert into usage_counters_daily (day, workspace_id, instance_id, token_id) values (current_date - 1, '{ws_b}', '{inst_b}', '{tok_b}') returning 1"),
        ("stripe_customers", A, Denied, "insert into stripe_customers (id, workspace_id) values ('cus_x', '{ws_b}') returning 1"),
        ("stripe_subscriptions", A, Denied, "insert into stripe_subscriptions (id, customer_id, workspace_id, status) values ('sub_x', 'cus_b', '{ws_b}', 'active') returning 1"),
        ("submissions", A, Denied, "insert into submissions (id, workspace_id, instance_id, data) values ('{new}', '{ws_b}', '{inst_b}', '{{}}') returning 1"),
        ("claim_attempts", A, Denied, "insert into claim_attempts (ip_hash, workspace_id, outcome) values ('h', '{ws_b}', 'claimed') returning 1"),
        // Tokens point only at instances of their own workspace: not B's, not a draft.
        ("embed_tokens", A, Denied, "update embed_tokens set instance_id = '{inst_b}' where id = '{tok_a}' returning 1"),
        ("embed_tokens", A, Denied, "update embed_tokens set instance_id = '{draft}' where id = '{tok_a}' returning 1"),
        ("embed_tokens", A, Denied, "insert into embed_tokens (id, workspace_id, instance_id, token_hash, prefix, last4, scope) values ('{new}', '{ws_a}', '{inst_b}', {hash}, 'ck_pub_', 'abcd', 'widget') returning 1"),
        ("embed_tokens", A, Denied, "insert into embed_tokens (id, workspace_id, instance_id, token_hash, prefix, last4, scope) values ('{new}', '{ws_a}', '{draft}', {hash}, 'ck_pub_', 'abcd', 'widget') returning 1"),
        // Controls: the Owner writes its own instances and tokens.
        ("embed_tokens", A, Allowed, "insert into embed_tokens (id, workspace_id, instance_id, token_hash, prefix, last4, scope) values ('{new}', '{ws_a}', '{inst_a}', {hash}, 'ck_pub_', 'abcd', 'widget') returning 1"),
        ("embed_tokens", A, Allowed, "insert into embed_tokens (id, workspace_id, token_hash, prefix, last4, scope) values ('{new}', '{ws_a}', {hash}, 'ck_pub_', 'abcd', 'workspace') returning 1"),
        ("embed_tokens", A, Allowed, "update embed_tokens set status = 'revoked', revoked_at = now() where id = '{tok_a}' returning 1"),
        ("embed_tokens", A, Allowed, "delete from embed_tokens where id = '{tok_a}' returning 1"),
        ("widget_instances", A, Allowed, "insert into widget_instances (id, workspace_id, widget_id) values ('{new}', '{ws_a}', 'form') returning 1"),
        ("widget_instances", A, Allowed, "update widget_instances set name = 'x' where id = '{inst_a}' returning 1"),
        ("widget_instances", A, Allowed, "delete from widget_instances where id = '{inst_a}' returning 1"),
        ("submissions", A, Allowed, "delete from submissions where workspace_id = '{ws_a}' returning 1"),
        // A plain member reads the workspace's rows...
        ("widget_instances", M, Allowed, "select 1 from widget_instances where workspace_id = '{ws_a}'"),
        ("embed_tokens", M, Allowed, "select 1 from embed_tokens where workspace_id = '{ws_a}'"),
        ("usage_counters_daily", M, Allowed, "select 1 from usage_counters_daily where workspace_id = '{ws_a}'"),
        // ...but makes no owner-only write.
        ("widget_instances", M, Denied, "insert into widget_instances (id, workspace_id, widget_id) values ('{new}', '{ws_a}', 'form') returning 1"),
        ("widget_instances", M, Denied, "update widget_instances set name = 'x' where id = '{inst_a}' returning 1"),
        ("widget_instances", M, Denied, "delete from widget_instances where id = '{inst_a}' returning 1"),
        ("embed_tokens", M, Denied, "insert into embed_tokens (id, workspace_id, token_hash, prefix, last4, scope) values ('{new}', '{ws_a}', {hash}, 'ck_pub_', 'abcd', 'workspace') returning 1"),
        ("embed_tokens", M, Denied, "update embed_tokens set token_hash = {hash} where id = '{tok_a}' returning 1"),
        ("embed_tokens", M, Denied, "update embed_tokens set status = 'active', revoked_at = null where id = '{tok_a}' returning 1"),
        ("embed_tokens", M, Denied, "update embed_tokens set allowed_origins = '[]' where id = '{tok_a}' returning 1"),
        ("embed_tokens", M, Denied, "delete from embed_tokens where id = '{tok_a}' returning 1"),
        ("workspaces", M, Denied, "update workspaces set name = 'x' where id = '{ws_a}' returning 1"),
        // Deleting a workspace (and, by cascade, its submissions) is the Owner's alone.
        ("workspaces", M, Denied, "delete from workspaces where id = '{ws_a}' returning 1"),
        ("workspaces", A, Allowed, "delete from workspaces where id = '{ws_a}' returning 1"),
        ("submissions", M, Denied, "delete from submissions where workspace_id = '{ws_a}' returning 1"),
        ("workspace_members", M, Denied, "update workspace_members set role = 'owner' where user_id = '{user_m}' returning 1"),
        ("workspace_members", M, Denied, "insert into workspace_members (workspace_id, user_id, role) values ('{ws_a}', '{user_m}', 'owner') returning 1"),
    ]);
    let mut failures = Vec::new();
    for (table, who, may, template) in &cases {
        let sql = template
            .replace("{t}", table)
            .replace("{ws_a}", &ws_a.to_string())
            .replace("{ws_b}", &ws_b.to_string())
            .replace("{inst_a}", &inst_a.to_string())
            .replace("{inst_b}", &inst_b.to_string())
            .replace("{draft}", &draft_id.to_string())
            .replace("{tok_a}", &tok_a.to_string())
            .replace("{tok_b}", &tok_b.to_string())
            .replace("{user_a}", &user_a.to_string())
            .replace("{user_b}", &user_b.to_string())
            .replace("{user_m}", &user_m.to_string())
            .replace("{new}", &Uuid::new_v4().to_string())
            .replace("{hash}", "decode(md5(random()::text), 'hex')")
            .replace("{{}}", "{}");
        let user = match who {
            Who::A => user_a,
            Who::M => user_m,
        };
        let outcome = attempt(&app, user, &sql).await;
        let got = match &outcome {
            Ok(n) if *n > 0 => Allowed,
            _ => Denied,
        };
        if got != *may {
            failures.push(format!("{who:?} {may:?} expected, got {outcome:?}: {sql}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // Nothing above was committed: B's rows are all still there.
    let b_rows: i64 = sqlx::query_scalar(
        "select (select count(*) from widget_instances where workspace_id = $1) \
         + (select count(*) from embed_tokens where workspace_id = $1) \
         + (select count(*) from submissions where workspace_id = $1)",
    )
    .bind(ws_b)
    .fetch_one(&owner)
    .await
    .expect("count");
    assert_eq!(b_rows, 3);
    app.close().await;
    owner.close().await;
    store.cleanup().await;
}

/// A member's instance writes through the API are refused like the database refuses them.
#[tokio::test]
async fn postgres_member_cannot_write_instances_through_the_api() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    let server = store.start().await;
    let (_, ws) = signup(&server, "api-owner@example.com").await;
    let member = signup_full(&server, "api-member@example.com").await;
    let member_token = member["access_token"].as_str().expect("token");
    let owner = store.owner_pool().await.expect("owner");
    sqlx::query("insert into workspace_members (workspace_id, user_id, role) values ($1::uuid, $2::uuid, 'member')")
        .bind(&ws)
        .bind(member["user"]["id"].as_str().expect("id"))
        .execute(&owner)
        .await
        .expect("member");
    let res = crate::common::post(
        &server,
        &format!("/api/v1/workspaces/{ws}/instances"),
        &json!({"widget": "form", "name": "by a member"}),
        Some(member_token),
    )
    .await;
    assert_error(&res, StatusCode::NOT_FOUND, "not_found");
    owner.close().await;
    server.shutdown().await.expect("shutdown");
    store.cleanup().await;
}

/// At startup on Postgres the server refuses an application role that RLS would not hold
/// (superuser, BYPASSRLS, owner of the tables), and production refuses to run without
/// `DATABASE_APP_URL`.
#[tokio::test]
async fn postgres_refuses_unsafe_app_roles() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    store.start().await.shutdown().await.expect("migrated");
    let owner = store.owner_pool().await.expect("owner");
    let tag = &Uuid::new_v4().simple().to_string()[..8];
    let db_name = store
        .config()
        .database_url
        .rsplit('/')
        .next()
        .expect("db")
        .to_owned();
    let cases = [
        ("super", "login superuser", "is a superuser"),
        ("bypass", "login bypassrls", "has BYPASSRLS"),
        ("owner", "login", "owns"),
    ];
    let mut roles = Vec::new();
    for (kind, attributes, why) in cases {
        let role = format!("ck_t_{tag}_{kind}");
        owner
            .execute(format!("create role {role} {attributes}").as_str())
            .await
            .expect("create role");
        roles.push(role.clone());
        if kind == "owner" {
            owner
                .execute(format!("alter table embed_tokens owner to {role}").as_str())
                .await
                .expect("owner");
        }
        let mut config = store.config();
        config.database_app_url = Some(format!(
            "{}/{db_name}",
            pg_base().replace("postgres@", &format!("{role}@"))
        ));
        let err = spawn(config).await.expect_err("unsafe role refused");
        let message = format!("{err:#}");
        assert!(
            message.contains(&role) && message.contains(why),
            "{kind}: {message}"
        );
        if kind == "owner" {
            assert!(message.contains("embed_tokens"), "{message}");
        }
    }
    // The role the migrations create is accepted.
    spawn(store.config())
        .await
        .expect("ck_app accepted")
        .shutdown()
        .await
        .expect("shutdown");
    // Production without DATABASE_APP_URL: no silent fallback to the owner.
    let mut config = crate::common::production_config(&store);
    config.database_app_url = None;
    let err = spawn(config)
        .await
        .expect_err("production needs an app URL");
    assert!(format!("{err:#}").contains("DATABASE_APP_URL"), "{err:#}");

    owner.close().await;
    store.cleanup().await;
    let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", pg_base()))
        .await
        .expect("admin");
    for role in roles {
        admin
            .execute(format!("drop role if exists {role}").as_str())
            .await
            .expect("drop role");
    }
}

both_stores!(usage_follows_the_claim);

/// Events before, during (a pre-claim token still cached with workspace NULL) and after a claim
/// are all counted in the owner's workspace.
async fn usage_follows_the_claim(store: &Store) {
    const TTL_MS: u64 = 3_000;
    let mut config = store.config();
    config.product.token_cache_ttl_ms = TTL_MS;
    config.product.usage_flush_ms = 50;
    let server = spawn(config).await.expect("server");
    let (id, embed, draft_token) = draft(&server).await;
    let (user, ws) = signup(&server, "usage-claim@example.com").await;
    let url = format!("{}/api/v1/events", server.url());
    let views = |n: u32| {
        let body = json!({"token": embed, "events": [{"k": "view", "id": id, "n": n}]});
        let url = url.clone();
        async move {
            let res = send(client().post(url).json(&body)).await;
            assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
        }
    };
    let stored = |want: i64| async move {
        for _ in 0..100 {
            if store
                .scalar("select coalesce(sum(views), 0) from usage_counters_daily")
                .await
                == want
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("usage never reached {want}");
    };
    let owner_sees = || async {
        let rows = get(
            &server,
            &format!("/api/v1/workspaces/{ws}/usage"),
            Some(&user),
        )
        .await
        .json();
        rows.as_array()
            .expect("rows")
            .iter()
            .map(|r| r["views"].as_i64().expect("views"))
            .sum::<i64>()
    };
    let started = std::time::Instant::now();
    views(1).await; // before: verified (and cached) while the draft is unclaimed
    stored(1).await;
    claim(&server, &draft_token, &user).await;
    assert_eq!(owner_sees().await, 1, "the claim moved the earlier counts");
    views(10).await; // during: the cached token still says workspace NULL
    stored(11).await;
    assert!(
        started.elapsed() < Duration::from_millis(TTL_MS),
        "the token cache must still hold the pre-claim token"
    );
    assert_eq!(owner_sees().await, 11, "a stale token moved the counts out");
    tokio::time::sleep(Duration::from_millis(TTL_MS)).await;
    views(100).await; // after: the token is looked up again
    stored(111).await;
    assert_eq!(owner_sees().await, 111);
    server.shutdown().await.expect("shutdown");
}

/// Two clients behind one trusted proxy get separate per-IP buckets; a forged prefix does not
/// escape the bucket; an untrusted peer cannot pick its address with the header at all.
#[tokio::test]
async fn trusted_proxy_separates_clients_and_untrusted_peers_cannot_spoof() {
    let store = Store::sqlite();
    let new_draft = |server: String, forwarded: &'static str| async move {
        send(
            client()
                .post(format!("{server}/api/v1/drafts"))
                .header("x-forwarded-for", forwarded)
                .json(&json!({"type": "form", "config": crate::common::form_config()})),
        )
        .await
        .status
    };
    let limited = Limit {
        per_minute: 1,
        burst: 2,
    };
    // The test client connects from 127.0.0.1: that is the proxy.
    let mut config = store.config();
    config.product.limit_drafts_ip = limited;
    config.security.trusted_proxies = vec!["127.0.0.0/8".parse().expect("cidr")];
    let server = spawn(config).await.expect("server");
    let url = server.url();
    for _ in 0..2 {
        assert_eq!(
            new_draft(url.clone(), "203.0.113.1").await,
            StatusCode::CREATED
        );
    }
    assert_eq!(
        new_draft(url.clone(), "203.0.113.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A forged left part does not make a new client: the proxy appended the real one.
    assert_eq!(
        new_draft(url.clone(), "198.51.100.77, 203.0.113.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another visitor behind the same proxy has its own bucket.
    assert_eq!(
        new_draft(url.clone(), "203.0.113.2").await,
        StatusCode::CREATED
    );
    server.shutdown().await.expect("shutdown");

    // No trusted proxy: the header is ignored, every "client" is the TCP peer.
    let mut config = store.config();
    config.product.limit_drafts_ip = limited;
    let server = spawn(config).await.expect("server");
    let url = server.url();
    assert_eq!(
        new_draft(url.clone(), "203.0.113.1").await,
        StatusCode::CREATED
    );
    assert_eq!(
        new_draft(url.clone(), "203.0.113.2").await,
        StatusCode::CREATED
    );
    assert_eq!(
        new_draft(url.clone(), "203.0.113.3").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    server.shutdown().await.expect("shutdown");
    store.cleanup().await;
}

/// The auth limits key on the same proxy-aware client address: behind a trusted proxy, one
/// visitor's failed sign-ins do not throttle another's.
#[tokio::test]
async fn auth_limits_see_the_client_behind_a_trusted_proxy() {
    let store = Store::sqlite();
    let mut config = store.config();
    config.product.limit_auth_ip = Limit {
        per_minute: 1,
        burst: 2,
    };
    config.security.trusted_proxies = vec!["127.0.0.0/8".parse().expect("cidr")];
    let server = spawn(config).await.expect("server");
    let login = |forwarded: &'static str| {
        send(
            client()
                .post(format!("{}/api/v1/auth/login", server.url()))
                .header("x-forwarded-for", forwarded)
                .json(&json!({"email": "nobody@example.com", "password": "wrong password"})),
        )
    };
    for _ in 0..2 {
        assert_eq!(login("203.0.113.1").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login("203.0.113.1").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(login("203.0.113.2").await.status, StatusCode::UNAUTHORIZED);
    server.shutdown().await.expect("shutdown");
    store.cleanup().await;
}

/// The config manifest: a page with 100 mount points fits the per-IP burst; a flood of made-up
/// tokens from one address is cut off; one real token asked from many addresses hits its own limit.
#[tokio::test]
async fn config_manifest_is_rate_limited() {
    let store = Store::sqlite();
    let mut config = store.config();
    config.security.trusted_proxies = vec!["127.0.0.1".parse().expect("cidr")];
    let server = spawn(config).await.expect("server");
    let (id, embed, _) = draft(&server).await;
    let fetch = |token: String, ip: &'static str| {
        let url = format!("{}{}", server.url(), manifest_path(&id, &token));
        async move { send(client().get(url).header("x-forwarded-for", ip)).await }
    };
    // One page, 100 mount points, fetched at once.
    let mut page = tokio::task::JoinSet::new();
    for _ in 0..100 {
        page.spawn(fetch(embed.clone(), "203.0.113.1"));
    }
    let statuses: Vec<StatusCode> = page
        .join_all()
        .await
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    // Made-up tokens (each new, so the negative cache never helps) from one address.
    let forged = format!("{}{}", &embed[..embed.len() - 6], "000000");
    let mut cut_off = None;
    for i in 0..300 {
        let res = fetch(forged.clone(), "203.0.113.1").await;
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(res.headers.contains_key(header::RETRY_AFTER));
            assert_error(&res, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
            cut_off = Some(i);
            break;
        }
    }
    assert!(cut_off.is_some_and(|i| i <= 120), "{cut_off:?}");
    // Other addresses are unaffected.
    assert_eq!(
        fetch(embed.clone(), "203.0.113.2").await.status,
        StatusCode::OK
    );
    server.shutdown().await.expect("shutdown");

    // Per token, across addresses.
    let mut config = store.config();
    config.security.trusted_proxies = vec!["127.0.0.1".parse().expect("cidr")];
    config.product.limit_config_token = Limit {
        per_minute: 1,
        burst: 3,
    };
    let server = spawn(config).await.expect("server");
    let (id, embed, _) = draft(&server).await;
    let fetch = |ip: &'static str| {
        let url = format!("{}{}", server.url(), manifest_path(&id, &embed));
        async move {
            send(client().get(url).header("x-forwarded-for", ip))
                .await
                .status
        }
    };
    for ip in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        assert_eq!(fetch(ip).await, StatusCode::OK);
    }
    assert_eq!(fetch("198.51.100.4").await, StatusCode::TOO_MANY_REQUESTS);
    server.shutdown().await.expect("shutdown");
    store.cleanup().await;
}

/// `/metrics` needs the configured bearer secret; production without one does not serve it.
#[tokio::test]
async fn metrics_need_the_secret() {
    let store = Store::sqlite();
    let mut config = store.config();
    config.security.metrics_token = Some("metrics-secret-0123456789".into());
    let server = spawn(config).await.expect("server");
    let scrape = |bearer: Option<&'static str>| {
        let mut req = client().get(format!("{}/metrics", server.url()));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        async move { send(req).await }
    };
    assert_error(
        &scrape(None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &scrape(Some("metrics-secret-wrong")).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let ok = scrape(Some("metrics-secret-0123456789")).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.text.contains("http_requests_total"), "{}", ok.text);
    server.shutdown().await.expect("shutdown");

    let config = crate::common::production_config(&store);
    let server = spawn(config).await.expect("server");
    assert_eq!(
        get(&server, "/metrics", None).await.status,
        StatusCode::NOT_FOUND
    );
    server.shutdown().await.expect("shutdown");
    store.cleanup().await;
}

/// Plan flags are cached per process for `plan_cache_ttl_ms`: a page's many manifests cost one
/// plan lookup. A process started later reads the new plan.
#[tokio::test]
async fn postgres_plan_flags_are_cached() {
    let Some(store) = Store::postgres().await else {
        return;
    };
    let mut config = store.config();
    config.product.plan_cache_ttl_ms = 60_000;
    let server = spawn(config).await.expect("server");
    let (id, embed, _, ws) = crate::common::owned_widget(&server, "plans@example.com").await;
    let flags = |server: &ck_server::Running| {
        let url = format!("{}{}", server.url(), manifest_path(&id, &embed));
        async move { send(client().get(url)).await.json()["flags"].clone() }
    };
    assert_eq!(flags(&server).await, json!([]));
    let owner = store.owner_pool().await.expect("owner");
    sqlx::query(
        "insert into stripe_subscriptions (id, customer_id, workspace_id, status, plan) \
         values ('sub_cache', 'cus_cache', $1::uuid, 'active', 'pro')",
    )
    .bind(&ws)
    .execute(&owner)
    .await
    .expect("subscription");
    assert_eq!(flags(&server).await, json!([]), "served from the cache");
    server.shutdown().await.expect("shutdown");
    let server = store.start().await;
    assert_eq!(
        flags(&server).await,
        json!(["custom_css", "pro", "remove_branding"])
    );
    owner.close().await;
    server.shutdown().await.expect("shutdown");
    store.cleanup().await;
}
