//! Billing: the Stripe webhook's signature checks, dedupe, ordering, and the plan flags it turns on.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::json;
use sha2::Sha256;

use crate::common::{
    assert_error, both_stores, client, get, manifest_path, owned_widget, send, Store, STRIPE_SECRET,
};

both_stores!(stripe_webhook_mirrors_plans);

fn stripe_header(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

async fn stripe_webhook_mirrors_plans(store: &Store) {
    let server = store.start().await;
    let (id, embed, _, ws) = owned_widget(&server, "payer@example.com").await;
    let url = format!("{}/api/v1/stripe/webhook", server.url());
    let deliver = |body: String, sig: String| {
        send(
            client()
                .post(&url)
                .header("stripe-signature", sig)
                .body(body),
        )
    };
    // Delivered as Stripe would: signed now with the configured secret.
    let signed = |body: &String| deliver(body.clone(), stripe_header(STRIPE_SECRET, now(), body));

    let customer = json!({"id": "evt_cus_1", "type": "customer.created", "created": 100,
        "data": {"object": {"id": "cus_1", "metadata": {"workspace_id": ws}}}})
    .to_string();
    let res = signed(&customer).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    let sub = json!({"id": "evt_sub_1", "type": "customer.subscription.created", "created": 101,
        "data": {"object": {"id": "sub_1", "customer": "cus_1", "status": "active", "cancel_at_period_end": false,
            "items": {"data": [{"current_period_end": 1_900_000_000i64, "price": {"id": "price_1", "lookup_key": "pro"}}]}}}}).to_string();
    // Tampered body, stale timestamp, wrong secret, missing header: all refused, nothing stored.
    let tampered = sub.replace("\"pro\"", "\"business\"");
    let refused = [
        (
            tampered,
            Some(stripe_header(STRIPE_SECRET, now(), &sub)),
            "invalid_signature",
        ),
        (
            sub.clone(),
            Some(stripe_header(STRIPE_SECRET, now() - 301, &sub)),
            "stale_signature",
        ),
        (
            sub.clone(),
            Some(stripe_header("whsec_wrong", now(), &sub)),
            "invalid_signature",
        ),
        (sub.clone(), None, "missing_signature"),
    ];
    for (body, sig, code) in refused {
        let mut req = client().post(&url).body(body);
        if let Some(sig) = sig {
            req = req.header("stripe-signature", sig);
        }
        assert_error(&send(req).await, StatusCode::BAD_REQUEST, code);
    }
    assert_eq!(
        store
            .scalar("select count(*) from stripe_subscriptions")
            .await,
        0
    );

    // Valid, with a bogus v1 first: every v1 is checked.
    let good = stripe_header(STRIPE_SECRET, now(), &sub);
    let sig = good.replacen("v1=", &format!("v1={},v1=", "0".repeat(64)), 1);
    let res = deliver(sub.clone(), sig).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["duplicate"], false);
    // Replay of the same event (even freshly signed) changes nothing.
    let res = signed(&sub).await;
    assert_eq!(res.json()["duplicate"], true, "{}", res.text);
    assert_eq!(store.scalar("select count(*) from stripe_events").await, 2);

    tokio::time::sleep(Duration::from_millis(400)).await;
    let flags = get(&server, &manifest_path(&id, &embed), None).await.json()["flags"].clone();
    assert_eq!(flags, json!(["custom_css", "pro", "remove_branding"]));

    // Payment failure keeps flags (past_due); cancellation removes them.
    let failed = json!({"id": "evt_inv_1", "type": "invoice.payment_failed", "created": 102,
        "data": {"object": {"id": "in_1", "subscription": "sub_1"}}})
    .to_string();
    assert_eq!(signed(&failed).await.status, StatusCode::OK);
    assert_eq!(
        store
            .scalar("select count(*) from stripe_subscriptions where status = 'past_due'")
            .await,
        1
    );
    let deleted =
        json!({"id": "evt_sub_2", "type": "customer.subscription.deleted", "created": 103,
        "data": {"object": {"id": "sub_1", "customer": "cus_1", "status": "canceled",
            "items": {"data": [{"price": {"id": "price_1", "lookup_key": "pro"}}]}}}})
        .to_string();
    assert_eq!(signed(&deleted).await.status, StatusCode::OK);
    // An older event arriving late does not resurrect the subscription.
    let late = json!({"id": "evt_sub_0", "type": "customer.subscription.updated", "created": 99,
        "data": {"object": {"id": "sub_1", "customer": "cus_1", "status": "active",
            "items": {"data": [{"price": {"id": "price_1", "lookup_key": "pro"}}]}}}})
    .to_string();
    assert_eq!(signed(&late).await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        get(&server, &manifest_path(&id, &embed), None).await.json()["flags"],
        json!([])
    );
    server.shutdown().await.expect("shutdown");

    // Without a secret the webhook does not exist.
    let mut config = store.config();
    config.stripe_webhook_secrets.clear();
    let server = ck_server::spawn(config).await.expect("server");
    let res = send(
        client()
            .post(format!("{}/api/v1/stripe/webhook", server.url()))
            .body(sub.clone()),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    server.shutdown().await.expect("shutdown");
}
