//! The embed tokens page: list (prefix…last4, scope, allowed origins, created, last used,
//! status), issue (the full token shown once, with a copy button), rotate (with a grace period),
//! revoke (after a confirmation) and edit allowed origins.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
};
use ck_icons::icons;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    csrf_field, done_notice, esc, labelled, or_error,
    pages::{display_name, Done},
    when, workspace, ws_path, Confirm, CsrfForm, Frame, Notice, Signed, SignedForm, Tab,
};
use crate::{
    error::Error,
    state::AppState,
    tokens::{
        db::TokenView,
        http::{self as api, IssueToken, IssuedToken},
    },
    workspaces::{self, Instance},
};

super::csrf_forms!(IssueForm, OriginsForm, RotateForm);

/// Grace periods offered when rotating: (seconds, label).
const GRACE: [(u32, &str); 4] = [
    (0, "None: the old token stops now"),
    (3600, "1 hour"),
    (86_400, "1 day"),
    (604_800, "7 days"),
];

/// The tokens page.
pub(crate) async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Path(ws): Path<Uuid>,
    Query(q): Query<Done>,
) -> Response {
    let notice = done_notice(q.done.as_deref());
    or_error(
        &state,
        tokens_page(&state, &signed, ws, notice, None, &Typed::default()).await,
    )
}

/// What was typed into the issue form (kept after an error).
#[derive(Default)]
struct Typed {
    origins: String,
    instance: Option<Uuid>,
}

/// Splits the origins textarea: one per line or comma-separated, blanks dropped.
fn origin_lines(raw: &str) -> Vec<String> {
    raw.split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn tokens_page(
    state: &AppState,
    signed: &Signed,
    ws: Uuid,
    notice: Option<Notice>,
    issued: Option<&IssuedToken>,
    typed: &Typed,
) -> Result<Response, Error> {
    let (current, all) = workspace(state, &signed.user, ws).await?;
    let mut tx = state.db().begin(&signed.user.actor()).await?;
    let tokens = crate::tokens::db::list(&mut tx, signed.user.id, ws).await?;
    let instances = workspaces::db::instances(&mut tx, signed.user.id, ws).await?;
    tx.commit().await?;
    let owner = current.role == "owner";
    let csrf = csrf_field(&signed.csrf);
    let base = format!("{}/tokens", ws_path(ws));
    let shown = issued.map_or_else(String::new, |t| shown_once(state, t, &instances));
    let list = if tokens.is_empty() {
        "<div class=\"empty\"><p><strong>No embed tokens yet.</strong> Issue one below and put it in your \
         snippet's <code>data-ck-token</code>. Claimed drafts bring their own widget token.</p></div>"
            .to_owned()
    } else {
        tokens
            .iter()
            .map(|t| token_card(t, &instances, &base, &csrf, owner))
            .collect()
    };
    let issue = if owner {
        let options: String = instances
            .iter()
            .map(|i| {
                let sel = if typed.instance == Some(i.id) {
                    " selected"
                } else {
                    ""
                };
                format!(
                    "<option value=\"{}\"{sel}>{}</option>",
                    i.id,
                    esc(display_name(i))
                )
            })
            .collect();
        format!(
            "<section class=\"card\" aria-labelledby=\"issue-h\"><h2 id=\"issue-h\">Issue a token</h2>\
             <form method=\"post\" action=\"{base}\">{csrf}\
             <label>Covers<select name=\"instance_id\"><option value=\"\">Every widget of this workspace</option>{options}</select></label>\
             <label>Allowed origins<textarea name=\"allowed_origins\" rows=\"3\" aria-describedby=\"origins-help\">{}</textarea></label>\
             <p class=\"muted\" id=\"origins-help\">One per line, e.g. <code>https://shop.example.com</code> or \
             <code>https://*.example.com</code>. Empty allows any site.</p>\
             <div class=\"actions\"><button type=\"submit\">{}</button></div></form></section>",
            esc(&typed.origins),
            labelled(&icons::PLUS, "Issue token")
        )
    } else {
        "<p class=\"muted\">Only the workspace's owners can issue, rotate and revoke tokens.</p>"
            .to_owned()
    };
    let ttl_secs = state.config().product.token_cache_ttl_ms.div_ceil(1000);
    let main = format!(
        "<h1>Embed tokens</h1>{shown}<p class=\"muted\">A revoked token stops working everywhere within {ttl_secs} s.</p>\
         <section aria-labelledby=\"list-h\"><h2 id=\"list-h\">Tokens</h2>{list}</section>{issue}"
    );
    let frame = Frame {
        signed,
        current: Some(&current),
        all: &all,
        tab: Tab::Tokens,
        notice,
    };
    let status = match &frame.notice {
        Some(Notice::Error(_)) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    Ok(frame.render(state, status, "Embed tokens", &main))
}

/// The one time a token's secret is shown, with its snippet.
fn shown_once(state: &AppState, t: &IssuedToken, instances: &[Instance]) -> String {
    let snippet = t
        .info
        .instance_id
        .and_then(|id| instances.iter().find(|i| i.id == id))
        .or_else(|| instances.first())
        .map(|i| crate::drafts::snippet(&state.public_url(), &i.widget_id, i.id, &t.token));
    let snippet_html = snippet.map_or_else(String::new, |s| {
        format!(
            "<p>Snippet with this token:</p><div class=\"copyable\"><pre class=\"code\" id=\"new-snippet\">{}</pre>\
             <button type=\"button\" class=\"quiet small\" data-copy=\"new-snippet\" hidden>{}</button></div>",
            esc(&s),
            labelled(&icons::COPY, "Copy snippet")
        )
    });
    format!(
        "<section class=\"card shown-once\" aria-labelledby=\"new-h\"><h2 id=\"new-h\">{}Your new token</h2>\
         <p><strong>Copy it now: it is shown only this once.</strong> We keep only a hash.</p>\
         <div class=\"copyable\"><label for=\"new-token\" class=\"sr-only\">New token</label>\
         <input id=\"new-token\" class=\"code\" readonly value=\"{}\">\
         <button type=\"button\" class=\"quiet small\" data-copy=\"new-token\" hidden>{}</button></div>{snippet_html}</section>",
        super::icon(&icons::LOCK),
        esc(&t.token),
        labelled(&icons::COPY, "Copy token")
    )
}

fn token_card(
    t: &TokenView,
    instances: &[Instance],
    base: &str,
    csrf: &str,
    owner: bool,
) -> String {
    let covers = match t.instance_id {
        Some(id) => instances.iter().find(|i| i.id == id).map_or_else(
            || "one widget".to_owned(),
            |i| format!("widget {}", display_name(i)),
        ),
        None => "every widget".to_owned(),
    };
    let origins = if t.allowed_origins.0.is_empty() {
        "any site".to_owned()
    } else {
        t.allowed_origins.0.join(", ")
    };
    let active = t.status == "active";
    let actions = if owner && active {
        let grace: String = GRACE
            .iter()
            .map(|(secs, label)| format!("<option value=\"{secs}\">{label}</option>"))
            .collect();
        format!(
            "<details><summary>Allowed origins</summary><form method=\"post\" action=\"{base}/{id}/origins\">{csrf}\
             <label>Allowed origins<textarea name=\"allowed_origins\" rows=\"3\">{origins_text}</textarea></label>\
             <div class=\"actions\"><button type=\"submit\" class=\"quiet\">Save origins</button></div></form></details>\
             <details><summary>Rotate</summary><form method=\"post\" action=\"{base}/{id}/rotate\">{csrf}\
             <label>Old token keeps working for<select name=\"grace_secs\">{grace}</select></label>\
             <div class=\"actions\"><button type=\"submit\" class=\"quiet\">Rotate token</button></div></form></details>\
             <p><a class=\"button danger quiet\" href=\"{base}/{id}/revoke\">{revoke}</a></p>",
            id = t.id,
            origins_text = esc(&t.allowed_origins.0.join("\n")),
            revoke = labelled(&icons::TRASH, "Revoke…"),
        )
    } else {
        String::new()
    };
    format!(
        "<article class=\"card token\" aria-label=\"Token {prefix}…{last4}\"><h3><code>{prefix}…{last4}</code> \
         <span class=\"badge {status}\">{status}</span></h3><dl class=\"facts\">\
         <dt>Scope</dt><dd>{covers}</dd><dt>Allowed origins</dt><dd>{origins}</dd>\
         <dt>Created</dt><dd>{created}</dd><dt>Last used</dt><dd>{used}</dd>{rotated}</dl>{actions}</article>",
        prefix = esc(&t.prefix),
        last4 = esc(&t.last4),
        status = esc(&t.status),
        covers = esc(&covers),
        origins = esc(&origins),
        created = when(t.created_at),
        used = t.last_used_at.map_or_else(|| "never".to_owned(), when),
        rotated = t
            .last_rotated_at
            .map_or_else(String::new, |r| format!("<dt>Rotated</dt><dd>{}</dd>", when(r))),
    )
}

/// The issue form.
#[derive(Deserialize)]
pub(crate) struct IssueForm {
    csrf: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    instance_id: String,
    #[serde(default)]
    allowed_origins: String,
}

/// Issues a token and shows it once (the response to the POST; it is never stored in clear).
pub(crate) async fn issue(
    State(state): State<AppState>,
    Path(ws): Path<Uuid>,
    SignedForm(signed, form): SignedForm<IssueForm>,
) -> Response {
    let instance = Uuid::parse_str(form.instance_id.trim()).ok();
    let req = IssueToken {
        scope: form.scope.clone().unwrap_or_else(|| {
            if instance.is_some() {
                "widget"
            } else {
                "workspace"
            }
            .to_owned()
        }),
        instance_id: instance,
        allowed_origins: origin_lines(&form.allowed_origins),
    };
    let typed = Typed {
        origins: form.allowed_origins.clone(),
        instance,
    };
    let page = match api::issue_token(&state, &signed.user, ws, &req).await {
        Ok(issued) => {
            tokens_page(&state, &signed, ws, None, Some(&issued), &Typed::default()).await
        }
        Err(e) => tokens_page(&state, &signed, ws, Some(Notice::of(&e)), None, &typed).await,
    };
    or_error(&state, page)
}

/// The allowed-origins form.
#[derive(Deserialize)]
pub(crate) struct OriginsForm {
    csrf: String,
    #[serde(default)]
    allowed_origins: String,
}

/// Replaces a token's allowed origins.
pub(crate) async fn origins(
    State(state): State<AppState>,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    SignedForm(signed, form): SignedForm<OriginsForm>,
) -> Response {
    let lines = origin_lines(&form.allowed_origins);
    match api::set_allowed_origins(&state, &signed.user, ws, id, &lines).await {
        Ok(_) => signed.redirect(&format!("{}/tokens?done=origins", ws_path(ws))),
        Err(e) => or_error(
            &state,
            tokens_page(
                &state,
                &signed,
                ws,
                Some(Notice::of(&e)),
                None,
                &Typed::default(),
            )
            .await,
        ),
    }
}

/// The rotate form.
#[derive(Deserialize)]
pub(crate) struct RotateForm {
    csrf: String,
    #[serde(default)]
    grace_secs: u32,
}

/// Rotates a token and shows the new secret once.
pub(crate) async fn rotate(
    State(state): State<AppState>,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    SignedForm(signed, form): SignedForm<RotateForm>,
) -> Response {
    let page = match api::rotate_token(&state, &signed.user, ws, id, form.grace_secs).await {
        Ok(issued) => {
            let grace = GRACE
                .iter()
                .find(|(s, _)| *s == form.grace_secs)
                .map_or("", |(_, l)| l);
            let notice = Notice::Ok(if form.grace_secs == 0 {
                "Token rotated. The old token stopped working.".to_owned()
            } else {
                format!("Token rotated. The old token keeps working for {grace}.")
            });
            tokens_page(
                &state,
                &signed,
                ws,
                Some(notice),
                Some(&issued),
                &Typed::default(),
            )
            .await
        }
        Err(e) => {
            tokens_page(
                &state,
                &signed,
                ws,
                Some(Notice::of(&e)),
                None,
                &Typed::default(),
            )
            .await
        }
    };
    or_error(&state, page)
}

/// "Revoke this token?"
pub(crate) async fn confirm_revoke(
    State(state): State<AppState>,
    signed: Signed,
    Path((ws, id)): Path<(Uuid, Uuid)>,
) -> Response {
    let page = async {
        let (current, all) = workspace(&state, &signed.user, ws).await?;
        let mut tx = state.db().begin(&signed.user.actor()).await?;
        let token = crate::tokens::db::get(&mut tx, signed.user.id, ws, id)
            .await?
            .ok_or_else(|| Error::not_found("token"))?;
        tx.commit().await?;
        let base = format!("{}/tokens", ws_path(ws));
        let ttl_secs = state.config().product.token_cache_ttl_ms.div_ceil(1000);
        let what = format!(
            "<p>Every page that embeds a widget with <code>{}…{}</code> stops showing it within \
             {ttl_secs} s. This cannot be undone; issue a new token to embed again.</p>",
            esc(&token.prefix),
            esc(&token.last4),
        );
        Ok(Confirm {
            title: "Revoke this token?",
            what_html: &what,
            action: &format!("{base}/{id}/revoke"),
            button: "Revoke token",
            back: &base,
        }
        .render(&state, &signed, (&current, &all), Tab::Tokens))
    };
    or_error(&state, page.await)
}

/// Revokes a token.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    SignedForm(signed, _): SignedForm<CsrfForm>,
) -> Response {
    match api::revoke_token(&state, &signed.user, ws, id).await {
        Ok(_) => signed.redirect(&format!("{}/tokens?done=revoked", ws_path(ws))),
        Err(e) => or_error(&state, Err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_split_on_lines_and_commas() {
        assert_eq!(
            origin_lines(" https://a.test \r\n\nhttps://b.test, https://*.c.test ,"),
            ["https://a.test", "https://b.test", "https://*.c.test"]
        );
        assert!(origin_lines(" \n ").is_empty());
    }
}
