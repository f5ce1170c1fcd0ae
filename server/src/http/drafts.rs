//! `POST /api/v1/drafts`: an anonymous visitor of the builder creates a widget instance without an
//! account. They get the snippet (with a widget-scoped embed token) and a draft token to claim the
//! widget into a workspace after signing up. Drafts unclaimed after `draft_ttl_secs` expire.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::StatusCode,
    response::IntoResponse,
    routing::post,
    Router,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    error::{Error, Json},
    product::{
        db::{self, NewDraft, NewTokenRow},
        limits, token,
    },
    state::AppState,
    store::{Actor, Ts},
};

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/drafts", post(create))
}

/// A new draft.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateDraft {
    /// Widget type, e.g. `form`.
    #[serde(rename = "type")]
    widget: String,
    /// The widget's config (validated against the widget's schema).
    #[schema(value_type = Object)]
    config: serde_json::Value,
    /// Optional display name.
    #[serde(default)]
    name: Option<String>,
}

/// The created draft. `draft_token` is shown once: keep it to claim the widget.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedDraft {
    instance_id: Uuid,
    embed_token: String,
    draft_token: String,
    #[schema(value_type = String, format = DateTime)]
    expires_at: Ts,
    /// HTML to paste into a page.
    snippet: String,
}

/// Validates a widget config with the widget's own parser (the code the browser runs).
pub(crate) fn validate_config(widget: &str, config: &serde_json::Value) -> Result<(), Error> {
    if widget == "form" {
        let value = to_value(config);
        if let Err(e) = ck_form::schema::FormConfig::parse(&value) {
            let mut fields = serde_json::Map::new();
            fields.insert(
                format!("config.{}", e.path),
                serde_json::Value::String(e.reason.to_string()),
            );
            return Err(Error::validation(
                format!("invalid form config at `{}`: {}", e.path, e.reason),
                fields,
            ));
        }
    } else if !config.is_object() {
        return Err(Error::bad_request(
            "invalid_config",
            "config must be a JSON object",
        ));
    }
    Ok(())
}

/// `serde_json::Value` → the runtime's `Value` (shared by server and wasm parsers).
pub(crate) fn to_value(v: &serde_json::Value) -> ck_runtime::Value {
    use ck_runtime::Value;
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Num(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(items) => Value::Arr(items.iter().map(to_value).collect()),
        serde_json::Value::Object(map) => {
            Value::Obj(map.iter().map(|(k, v)| (k.clone(), to_value(v))).collect())
        }
    }
}

/// The HTML snippet for an instance.
pub(crate) fn snippet(base: &str, widget: &str, id: Uuid, embed_token: &str) -> String {
    format!(
        "<div data-ck-widget=\"{widget}\" data-ck-id=\"{id}\" data-ck-token=\"{embed_token}\"></div>\n\
         <script async src=\"{base}/embed/latest/loader.js\"></script>"
    )
}

/// Creates an anonymous draft (rate-limited per IP).
#[utoipa::path(post, path = "/api/v1/drafts", tag = "drafts", request_body = CreateDraft,
    responses((status = 201, body = CreatedDraft), (status = 422), (status = 429)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<CreateDraft>,
) -> Result<impl IntoResponse, Error> {
    let limiters = limits::limiters(&state);
    limits::shared(
        &state,
        &limiters.drafts_ip,
        "drafts_ip",
        &limits::ip_hash(&state, peer.ip()),
    )
    .await?;
    let name = req.name.as_deref().unwrap_or("").trim().to_owned();
    if name.chars().count() > 120 {
        return Err(Error::bad_request(
            "invalid_name",
            "name may have at most 120 characters",
        ));
    }
    if !req
        .widget
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        || req.widget.len() > 32
    {
        return Err(Error::bad_request("unknown_widget", "unknown widget type"));
    }
    validate_config(&req.widget, &req.config)?;
    let now = Ts::now();
    let expires = now.plus(time::Duration::seconds(
        state.config().product.draft_ttl_secs,
    ));
    let id = Uuid::new_v4();
    let draft = token::generate(token::TokenKind::Draft);
    let embed = token::generate(token::TokenKind::Embed);
    let mut tx = state.db().begin(&Actor::System).await?;
    if !db::widget_exists(&mut tx, &req.widget).await? {
        return Err(Error::bad_request(
            "unknown_widget",
            format!("unknown widget type {:?}", req.widget),
        ));
    }
    db::insert_draft(
        &mut tx,
        &NewDraft {
            id,
            widget: &req.widget,
            name: &name,
            config: &req.config,
            draft_hash: &draft.hash,
            expires,
            now,
        },
    )
    .await?;
    db::insert_token(
        &mut tx,
        &NewTokenRow {
            id: Uuid::new_v4(),
            workspace_id: None,
            instance_id: Some(id),
            hash: &embed.hash,
            prefix: token::TokenKind::Embed.prefix(),
            last4: token::last4(&embed.plaintext),
            scope: "widget",
            allowed_origins: &[],
            now,
        },
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("ck_drafts_created_total").increment(1);
    let snippet = snippet(&state.public_url(), &req.widget, id, &embed.plaintext);
    Ok((
        StatusCode::CREATED,
        Json(CreatedDraft {
            instance_id: id,
            embed_token: embed.plaintext,
            draft_token: draft.plaintext,
            expires_at: expires,
            snippet,
        }),
    ))
}

/// Deletes expired drafts and recovered rate-limit rows every minute.
pub(crate) fn start_sweeper(state: &AppState) {
    let state_bg = state.clone();
    state.spawn_background(async move {
        let stop = state_bg.shutting_down();
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = tick.tick() => {}
            }
            let sweep = async {
                let mut tx = state_bg.db().begin(&Actor::System).await?;
                let drafts = db::delete_expired_drafts(&mut tx, Ts::now()).await?;
                let limits = db::prune_rate_limits(&mut tx, limits::now_ms()).await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>((drafts, limits))
            };
            match sweep.await {
                Ok((0, _)) => {}
                Ok((drafts, _)) => tracing::info!(drafts, "expired drafts deleted"),
                Err(e) => tracing::warn!(error = %e, "sweeping expired drafts failed"),
            }
        }
    });
}
