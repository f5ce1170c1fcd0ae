//! Hidden fields, prefill and brand options of a form config: the server refuses a config whose
//! new keys are malformed (naming the path), validates hidden values like any field (declared,
//! bounded, typed: 422 naming the field), stores them with the submission, and the list, the
//! CSV and the dashboard show them.

use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::common::{
    assert_error, both_stores, client, form_config, get, owned_widget, post, send, Res, Store,
};

/// The shared form plus two hidden fields: one the page fills from the URL, one with a default.
fn hidden_config() -> Value {
    let mut config = form_config();
    let fields = config["fields"].as_array_mut().expect("fields");
    fields.push(
        json!({"type": "hidden", "name": "utm_source", "max_length": 12,
        "query": ["utm_source", "source"]}),
    );
    fields.push(json!({"type": "hidden", "name": "plan", "value": "free"}));
    fields[0]["query"] = json!(["name"]);
    config["strings"] = json!({"required": "Bitte ausfüllen.", "sending": "…"});
    config["brand"] =
        json!({"accent": "#0a7", "radius": 12, "font": "Inter, system-ui, sans-serif"});
    config
}

async fn put_config(server: &ck_server::Running, id: &str, owner: &str, config: &Value) -> Res {
    send(
        client()
            .put(format!("{}/api/v1/instances/{id}/config", server.url()))
            .bearer_auth(owner)
            .json(&json!({ "config": config })),
    )
    .await
}

both_stores!(hidden_values_are_validated_stored_and_shown);

async fn hidden_values_are_validated_stored_and_shown(store: &Store) {
    let server = store.start().await;
    let (id, _, owner, ws) = owned_widget(&server, "hidden@example.com").await;

    // Malformed new keys are refused at save, naming the path: (key, value, path).
    let refused = [
        (
            "field",
            json!({"query": "utm_source"}),
            "config.fields[3].query",
        ),
        ("field", json!({"query": ["a b"]}), "config.fields[3].query"),
        (
            "field",
            json!({"query": ["a", "a"]}),
            "config.fields[3].query",
        ),
        (
            "field",
            json!({"max_length": 20000}),
            "config.fields[3].max_length",
        ),
        ("brand", json!({"accent": "red"}), "config.brand.accent"),
        ("brand", json!({"accent": "#12345"}), "config.brand.accent"),
        ("brand", json!({"radius": 33}), "config.brand.radius"),
        ("brand", json!({"radius": 2.5}), "config.brand.radius"),
        (
            "brand",
            json!({"font": "x;}body{color:red"}),
            "config.brand.font",
        ),
        ("brand", json!({"font": "url(evil)"}), "config.brand.font"),
        (
            "brand",
            json!({"font": "\"Comic Sans\""}),
            "config.brand.font",
        ),
        ("brand", json!({"colour": "#fff"}), "config.brand"),
        ("strings", json!({"nope": "x"}), "config.strings.nope"),
        (
            "strings",
            json!({"required": ""}),
            "config.strings.required",
        ),
        ("strings", json!({"required": 5}), "config.strings.required"),
    ];
    for (key, value, path) in refused {
        let mut config = hidden_config();
        if key == "field" {
            let field = &mut config["fields"][3];
            for (k, v) in value.as_object().expect("object") {
                field[k] = v.clone();
            }
        } else {
            config[key] = value.clone();
        }
        let res = put_config(&server, &id, &owner, &config).await;
        assert_error(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(
            res.json()["error"]["fields"][path].is_string(),
            "{key} {value}: {}",
            res.text
        );
    }
    let res = put_config(&server, &id, &owner, &hidden_config()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    let res = post(
        &server,
        &format!("/api/v1/workspaces/{ws}/tokens"),
        &json!({"scope": "widget", "instance_id": id, "allowed_origins": ["https://site.test"]}),
        Some(&owner),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let token = res.json()["token"].as_str().expect("token").to_owned();
    let submit = |values: Value| {
        send(
            client()
                .post(format!("{}/api/v1/submissions", server.url()))
                .header(header::ORIGIN, "https://site.test")
                .json(&json!({"token": token, "id": id, "values": values, "elapsed_ms": 4200})),
        )
    };
    let base = json!({"name": "Ada", "email": "a@b.co"});
    let with = |extra: Value| {
        let mut values = base.clone();
        for (k, v) in extra.as_object().expect("object") {
            values[k] = v.clone();
        }
        values
    };
    // Hidden values are fields like any other: (values, the field the 422 names).
    let refused = [
        (with(json!({"utm_source": "x".repeat(13)})), "utm_source"),
        (with(json!({"utm_source": 5})), "utm_source"),
        (with(json!({"utm_campaign": "spring"})), "utm_campaign"),
        (with(json!({"plan": ["free"]})), "plan"),
    ];
    for (values, field) in refused {
        let res = submit(values.clone()).await;
        assert_error(&res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(
            res.json()["error"]["fields"][field].is_string(),
            "{values}: {}",
            res.text
        );
    }
    assert_eq!(store.scalar("select count(*) from submissions").await, 0);

    let res = submit(with(json!({"utm_source": "=newsletter", "plan": "pro"}))).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    // Hidden fields are optional: a page that set none still submits.
    let res = submit(base.clone()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(store.scalar("select count(*) from submissions").await, 2);

    let list = get(
        &server,
        &format!("/api/v1/workspaces/{ws}/instances/{id}/submissions"),
        Some(&owner),
    )
    .await;
    let rows = list.json();
    let stored: Vec<&Value> = rows
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| &r["data"]["utm_source"])
        .collect();
    assert!(stored.contains(&&json!("=newsletter")), "{}", list.text);

    let csv = get(
        &server,
        &format!("/api/v1/workspaces/{ws}/instances/{id}/submissions.csv"),
        Some(&owner),
    )
    .await;
    assert!(
        csv.text
            .starts_with("id,submitted_at,name,email,agree,utm_source,plan\r\n"),
        "{}",
        csv.text
    );
    // Formula-escaped like any visitor text: a URL parameter is visitor-controlled.
    assert!(
        csv.text.contains(",\"'=newsletter\",pro\r\n"),
        "{}",
        csv.text
    );

    let page = send(
        client()
            .get(format!(
                "{}/app/w/{ws}/widgets/{id}/submissions",
                server.url()
            ))
            .header(header::COOKIE, format!("ck_access={owner}")),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for shown in [
        "<th scope=\"col\">utm_source <span class=\"badge\">hidden</span></th>",
        "<th scope=\"col\">plan <span class=\"badge\">hidden</span></th>",
        "<th scope=\"col\">email</th>",
        "<td>=newsletter</td>",
        "<td>pro</td>",
    ] {
        assert!(page.text.contains(shown), "{shown} in {}", page.text);
    }
    server.shutdown().await.expect("shutdown");
}
