//! Users: sign-up, sign-in, magic links, refresh and logout, Supabase-shaped JWTs, and the
//! dashboard's cookie sessions with CSRF defences.

use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::common::{
    assert_error, both_stores, client, get, login, mailed_token, post, request_magic_link, send,
    signup_full, Res, Store, PASSWORD, SECRET,
};

both_stores!(signup_login_workspace);

async fn signup_login_workspace(store: &Store) {
    let server = store.start().await;
    let created = signup_full(&server, "Ann@Example.com").await;
    assert_eq!(created["user"]["email"], "ann@example.com");
    assert_eq!(created["token_type"], "bearer");
    let token = created["access_token"].as_str().expect("token");

    let list = get(&server, "/api/v1/workspaces", Some(token)).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["name"], "WS of Ann@Example.com");
    assert_eq!(list[0]["role"], "owner");

    let signed_in = login(&server, "ann@example.com").await;
    let token2 = signed_in["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let list2 = get(&server, "/api/v1/workspaces", Some(&token2))
        .await
        .json();
    assert_eq!(list2, list);

    // Refused sign-ins and sign-ups: (path, body, status, code).
    let refused = [
        (
            "/api/v1/auth/login",
            json!({"email": "ann@example.com", "password": "wrong password"}),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "/api/v1/auth/login",
            json!({"email": "nobody@example.com", "password": "whatever1"}),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "/api/v1/auth/signup",
            json!({"email": "ann@example.com", "password": "another password"}),
            StatusCode::CONFLICT,
            "email_taken",
        ),
        (
            "/api/v1/auth/signup",
            json!({"email": "bob@example.com", "password": "short"}),
            StatusCode::BAD_REQUEST,
            "weak_password",
        ),
    ];
    for (path, body, status, code) in refused {
        assert_error(&post(&server, path, &body, None).await, status, code);
    }

    assert_error(
        &get(&server, "/api/v1/workspaces", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    server.shutdown().await.expect("shutdown");
}

both_stores!(magic_link_end_to_end);

async fn magic_link_end_to_end(store: &Store) {
    let server = store.start().await;
    request_magic_link(&server, "Mia@Example.com").await;
    let again = post(
        &server,
        "/api/v1/auth/magic-link",
        &json!({"email": "mia@example.com"}),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = again.headers[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");

    let mail = store.outbox("mia@example.com").await;
    let link = mail
        .lines()
        .find(|l| l.contains("/auth/magic?token="))
        .expect("link in mail");
    assert!(link.starts_with(&server.url()), "{link}");
    let token = link.split("token=").nth(1).expect("token").trim();

    // The landing page does not consume the token (mail scanners prefetch links).
    let landing = client().get(link.trim()).send().await.expect("landing");
    assert_eq!(landing.status(), StatusCode::OK);

    let verify = |token: &str| {
        let (server, body) = (&server, json!({ "token": token }));
        async move { post(server, "/api/v1/auth/magic-link/verify", &body, None).await }
    };
    let session = verify(token).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.text);
    let session = session.json();
    assert_eq!(session["user"]["email"], "mia@example.com");
    let access = session["access_token"].as_str().expect("access");
    let list = get(&server, "/api/v1/workspaces", Some(access))
        .await
        .json();
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "first magic-link sign-in creates a workspace: {list}"
    );

    // Single use; a forged token is refused alike.
    assert_error(
        &verify(token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_eq!(verify("forged").await.status, StatusCode::UNAUTHORIZED);
    server.shutdown().await.expect("shutdown");
}

both_stores!(refresh_is_single_use_and_logout_revokes);

async fn refresh_is_single_use_and_logout_revokes(store: &Store) {
    let server = store.start().await;
    let refresh = |token: &Value| {
        let server = &server;
        let body = json!({"refresh_token": token.as_str().expect("refresh token")});
        async move { post(server, "/api/v1/auth/refresh", &body, None).await }
    };
    let first = signup_full(&server, "rae@example.com").await;
    let second = refresh(&first["refresh_token"]).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let second = second.json();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let third = refresh(&second["refresh_token"]).await;
    assert_eq!(third.status, StatusCode::OK, "{}", third.text);
    let third = third.json();

    // Replaying a token whose successor was already used is treated as theft: refused, and the
    // whole session is revoked. (Two tabs racing within seconds is not; see `accounts`.)
    assert_eq!(
        refresh(&first["refresh_token"]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&third["refresh_token"]).await.status,
        StatusCode::UNAUTHORIZED
    );

    let login = login(&server, "rae@example.com").await;
    let access = login["access_token"].as_str().expect("access");
    assert_eq!(
        get(&server, "/api/v1/auth/user", Some(access)).await.status,
        StatusCode::OK
    );
    let res = post(&server, "/api/v1/auth/logout", &json!({}), Some(access)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = get(&server, "/api/v1/auth/user", Some(access)).await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "access token of a revoked session: {}",
        res.text
    );
    assert_eq!(
        refresh(&login["refresh_token"]).await.status,
        StatusCode::UNAUTHORIZED
    );
    server.shutdown().await.expect("shutdown");
}

fn supabase_token(secret: &str, sub: Uuid, email: &str, exp_offset: i64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({
        "iss": "https://abcdefghijkl.supabase.co/auth/v1",
        "sub": sub,
        "aud": "authenticated",
        "exp": now + exp_offset,
        "iat": now,
        "email": email,
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {"email_verified": true},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "session_id": Uuid::new_v4(),
        "is_anonymous": false
    });
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

both_stores!(supabase_shaped_jwt_is_accepted);

async fn supabase_shaped_jwt_is_accepted(store: &Store) {
    let server = store.start().await;
    let sub = Uuid::new_v4();
    let token = supabase_token(SECRET, sub, "sup@example.com", 600);
    let me = get(&server, "/api/v1/auth/user", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let me = me.json();
    assert_eq!(me["id"], sub.to_string());
    assert_eq!(me["email"], "sup@example.com");

    let ws = post(
        &server,
        "/api/v1/workspaces",
        &json!({"name": "From Supabase"}),
        Some(&token),
    )
    .await;
    assert_eq!(ws.status, StatusCode::CREATED, "{}", ws.text);
    assert_eq!(ws.json()["role"], "owner");
    let list = get(&server, "/api/v1/workspaces", Some(&token))
        .await
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    for bad in [
        supabase_token(
            "another-secret-another-secret-another",
            sub,
            "sup@example.com",
            600,
        ),
        supabase_token(SECRET, sub, "sup@example.com", -600),
        format!("{token}x"),
    ] {
        let res = get(&server, "/api/v1/auth/user", Some(&bad)).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    }
    server.shutdown().await.expect("shutdown");
}

fn set_cookies(res: &Res) -> Vec<String> {
    res.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

fn cookie_value<'a>(cookies: &'a [String], name: &str) -> &'a str {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
}

#[tokio::test]
async fn dashboard_signup_with_cookies_and_csrf() {
    let store = Store::sqlite();
    let server = store.start().await;
    let url = |path: &str| format!("{}{path}", server.url());
    let c = client();
    let page = send(c.get(url("/signup"))).await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("script-src 'self'")
            && csp.contains("style-src 'self'")
            && !csp.contains("unsafe-inline")
    );
    let cookies = set_cookies(&page);
    let csrf = cookie_value(&cookies, "ck_csrf").to_owned();
    assert!(
        page.text.contains(&csrf)
            && page.text.contains("<svg")
            && !page.text.contains("style=")
            && !page.text.contains("<script")
    );

    let form = [
        ("email", "dora@example.com"),
        ("password", PASSWORD),
        ("workspace_name", "Dora Co"),
        ("csrf", csrf.as_str()),
    ];
    let signup = || c.post(url("/signup")).form(&form);
    // Refused: without the CSRF cookie; from a cross-site origin even with the cookie.
    for refused in [
        signup(),
        signup()
            .header(header::COOKIE, format!("ck_csrf={csrf}"))
            .header(header::ORIGIN, "https://evil.example"),
    ] {
        let res = refused.send().await.expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }

    let ok = send(
        signup()
            .header(header::COOKIE, format!("ck_csrf={csrf}"))
            .header(header::ORIGIN, server.url()),
    )
    .await;
    // No session before the address is proven: a "check your email" page.
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert!(
        ok.text.contains("Check your email") && ok.text.contains("/dev/mail"),
        "{}",
        ok.text
    );
    assert!(set_cookies(&ok).iter().all(|c| !c.starts_with("ck_access")));

    // The link from the local mail page lands on a one-click form that signs in.
    let token = mailed_token(&server, "dora@example.com").await;
    let landing = send(c.get(url(&format!("/auth/magic?token={token}")))).await;
    assert_eq!(landing.status, StatusCode::OK);
    let confirmed = send(
        c.post(url("/auth/magic"))
            .form(&[("token", token.as_str()), ("csrf", csrf.as_str())])
            .header(header::COOKIE, format!("ck_csrf={csrf}"))
            .header(header::ORIGIN, server.url()),
    )
    .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.text
    );
    assert_eq!(confirmed.headers[header::LOCATION], "/app");
    let session = set_cookies(&confirmed);
    for c in &session {
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
        assert!(!c.contains("Secure"), "plain http test server: {c}");
    }
    let access = cookie_value(&session, "ck_access");
    let cookies = format!("ck_access={access}; ck_csrf={csrf}");
    // `/app` opens the first workspace.
    let first = send(c.get(url("/app")).header(header::COOKIE, &cookies)).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
    let workspace = first.headers[header::LOCATION]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(workspace.starts_with("/app/w/"), "{workspace}");
    let home = send(c.get(url(&workspace)).header(header::COOKIE, &cookies)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.text.contains("Dora Co") && home.text.contains("dora@example.com"),
        "{}",
        home.text
    );

    let anonymous = c.get(url("/app")).send().await.expect("get");
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);

    let css = send(c.get(url("/assets/dashboard.css"))).await;
    assert!(css.headers[header::CONTENT_TYPE]
        .to_str()
        .expect("ascii")
        .starts_with("text/css"));
    assert!(css.text.contains("--ck-color-accent") && css.text.contains("var(--ck-font-family)"));
    server.shutdown().await.expect("shutdown");
}

both_stores!(supabase_user_without_a_row_claims_without_a_500);

/// Found by schemathesis: a Supabase-issued token for a user this server never saw made a claim
/// fail with 500 (the audit row refers to the user). Now the row is made on this first write;
/// without an email claim there is nothing to make it from: 403 `unknown_account`.
async fn supabase_user_without_a_row_claims_without_a_500(store: &Store) {
    let server = store.start().await;
    let (_, _, draft_token) = crate::common::draft(&server).await;
    let with_email = supabase_token(SECRET, Uuid::new_v4(), "sb-claim@example.com", 3600);
    // (token, draft token, status, code): a rowless user owns no workspace to claim into.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let without_email = encode(
        &Header::default(),
        &json!({"sub": Uuid::new_v4(), "aud": "authenticated", "role": "authenticated", "exp": now + 3600, "iat": now}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("sign");
    let cases = [
        (
            &with_email,
            "ck_draft_malformed",
            StatusCode::BAD_REQUEST,
            "invalid_draft_token",
        ),
        (
            &without_email,
            draft_token.as_str(),
            StatusCode::FORBIDDEN,
            "unknown_account",
        ),
    ];
    for (bearer, draft, status, code) in cases {
        let res = crate::common::try_claim(&server, draft, Some(bearer)).await;
        assert_error(&res, status, code);
    }
    let res = crate::common::try_claim(&server, &draft_token, Some(&with_email)).await;
    assert!(res.status.is_client_error(), "{} {}", res.status, res.text);
    server.shutdown().await.expect("shutdown");
}
