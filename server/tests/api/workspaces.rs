//! Workspaces: a member sees its workspaces and their instances, nobody else's.

use reqwest::StatusCode;

use crate::common::{both_stores, get, signup, Store};

both_stores!(tenant_isolation_over_http);

async fn tenant_isolation_over_http(store: &Store) {
    let server = store.start().await;
    let (ta, ws_a) = signup(&server, "a@example.com").await;
    let (tb, _) = signup(&server, "b@example.com").await;
    // (path, caller, expected): B sees nothing of A's; A sees its own.
    let cases = [
        (
            format!("/api/v1/workspaces/{ws_a}"),
            &tb,
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/api/v1/workspaces/{ws_a}/instances"),
            &tb,
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/api/v1/workspaces/{ws_a}/instances"),
            &ta,
            StatusCode::OK,
        ),
    ];
    for (path, caller, expected) in cases {
        let res = get(&server, &path, Some(caller)).await;
        assert_eq!(res.status, expected, "{path}: {}", res.text);
    }
    server.shutdown().await.expect("shutdown");
}

both_stores!(control_characters_in_names_are_refused);

/// Found by schemathesis on Postgres: a NUL in a workspace name was a 500 (Postgres cannot store
/// it). Names with control characters are a 400 on both stores.
async fn control_characters_in_names_are_refused(store: &Store) {
    let server = store.start().await;
    let (user, _) = crate::common::signup(&server, "nul@example.com").await;
    for name in ["a\u{0}b", "\u{0}", "tab\there", "bell\u{7}"] {
        let res = crate::common::post(
            &server,
            "/api/v1/workspaces",
            &serde_json::json!({ "name": name }),
            Some(&user),
        )
        .await;
        crate::common::assert_error(
            &res,
            reqwest::StatusCode::BAD_REQUEST,
            "invalid_workspace_name",
        );
    }
    server.shutdown().await.expect("shutdown");
}
