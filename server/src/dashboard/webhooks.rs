//! Dashboard pages of webhooks and notifications (owners): endpoints (create with the secret shown
//! once, turn on and off, delete), deliveries with their attempts and a "Redeliver" button,
//! per-widget notification settings, and one submission (where notification mail links to).
//! Plain HTML form posts with the CSRF token; no script.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
    Router,
};
use ck_icons::icons;
use serde::Deserialize;
use uuid::Uuid;

use super::app::{csrf_forms, CsrfField, CsrfForm, Signed, SignedForm};
use super::{dev_mail::when, esc, html, icon};
use crate::{
    error::Error,
    notifications::{self, Mode},
    outbox,
    state::AppState,
    store::Tx,
    users::AuthUser,
    webhooks, workspaces,
};

/// Styles of these pages, appended to the dashboard stylesheet (tokens only).
pub(crate) const CSS: &str = "\
.card>:first-child{margin-top:0}\
nav.tabs{display:flex;flex-wrap:wrap;gap:var(--ck-space-3);margin:0 0 var(--ck-space-4)}\
nav.tabs a[aria-current=page]{font-weight:var(--ck-font-weight-bold);text-decoration:none;color:var(--ck-color-text)}\
.row{display:flex;flex-wrap:wrap;align-items:center;gap:var(--ck-space-2)}\
.row form{display:inline-flex}\
.grow{flex:1 1 16rem;min-width:0;display:grid;gap:var(--ck-space-1)}\
.badge{display:inline-block;font-size:var(--ck-font-size-sm);font-weight:var(--ck-font-weight-medium);\
padding:0 var(--ck-space-2);border-radius:var(--ck-radius-md);border:1px solid var(--ck-color-border)}\
.badge.good{color:var(--ck-color-success);border-color:var(--ck-color-success)}\
.badge.bad{color:var(--ck-color-danger);border-color:var(--ck-color-danger)}\
.secret{display:block;padding:var(--ck-space-3);border:1px dashed var(--ck-color-border);border-radius:var(--ck-radius-md);\
background:var(--ck-color-surface);user-select:all;overflow-wrap:anywhere}\
pre{font-size:var(--ck-font-size-sm);white-space:pre-wrap;overflow-wrap:anywhere;margin:0;padding:var(--ck-space-2);\
background:var(--ck-color-surface);border:1px solid var(--ck-color-border);border-radius:var(--ck-radius-md)}\
select{font:inherit;color:inherit;background:var(--ck-color-surface);border:1px solid var(--ck-color-border);\
border-radius:var(--ck-radius-md);padding:var(--ck-space-2) var(--ck-space-3)}\
select:focus-visible{outline:2px solid var(--ck-color-focus);outline-offset:2px}\
fieldset{border:1px solid var(--ck-color-border);border-radius:var(--ck-radius-md);padding:var(--ck-space-3);margin:0;\
display:grid;gap:var(--ck-space-2)}\
legend{font-size:var(--ck-font-size-sm);font-weight:var(--ck-font-weight-medium)}\
label.check{display:flex;align-items:center;gap:var(--ck-space-2);font-weight:var(--ck-font-weight-regular)}\
dl{display:grid;grid-template-columns:minmax(6rem,auto) 1fr;gap:var(--ck-space-2) var(--ck-space-4);margin:0}\
dt{color:var(--ck-color-muted);font-size:var(--ck-font-size-sm)}dd{margin:0;overflow-wrap:anywhere}\
";

/// Routes of this module, merged by `dashboard::http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/app/workspaces/{ws}/webhooks",
            get(endpoints_page).post(create_endpoint),
        )
        .route(
            "/app/workspaces/{ws}/webhooks/{id}/toggle",
            post(toggle_endpoint),
        )
        .route(
            "/app/workspaces/{ws}/webhooks/{id}/delete",
            post(delete_endpoint),
        )
        .route("/app/workspaces/{ws}/deliveries", get(deliveries_page))
        .route("/app/workspaces/{ws}/deliveries/{id}", get(delivery_page))
        .route(
            "/app/workspaces/{ws}/deliveries/{id}/redeliver",
            post(redeliver),
        )
        .route(
            "/app/workspaces/{ws}/notifications",
            get(notifications_page).post(save_notification),
        )
        .route("/app/submissions/{id}", get(submission_page))
}

/// The workspace's name, if `user` owns it.
async fn owned(tx: &mut Tx, user: &AuthUser, ws: Uuid) -> Result<String, Error> {
    let workspace = workspaces::db::get(tx, user.id, ws)
        .await?
        .ok_or_else(|| Error::not_found("workspace"))?;
    if workspace.role != "owner" {
        return Err(Error::forbidden(
            "only the workspace's owners manage webhooks and notifications",
        ));
    }
    Ok(workspace.name)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Webhooks,
    Deliveries,
    Notifications,
}

/// The page frame: the bar, the workspace's tabs, the content.
fn page(
    state: &AppState,
    title: &str,
    ws: Option<(Uuid, &str, Tab)>,
    content: &str,
    cookies: &[String],
) -> Response {
    let tabs =
        ws.map_or_else(String::new, |(id, name, current)| {
            let tab = |t: Tab, href: String, label: &str| {
                let aria = if t == current {
                    " aria-current=\"page\""
                } else {
                    ""
                };
                format!("<a href=\"{href}\"{aria}>{label}</a>")
            };
            format!(
            "<p class=\"muted\">{}</p><nav class=\"tabs\" aria-label=\"Workspace\">{}{}{}</nav>",
            esc(name),
            tab(Tab::Webhooks, format!("/app/workspaces/{id}/webhooks"), "Webhooks"),
            tab(Tab::Deliveries, format!("/app/workspaces/{id}/deliveries"), "Deliveries"),
            tab(
                Tab::Notifications,
                format!("/app/workspaces/{id}/notifications"),
                "Notifications"
            ),
        )
        });
    let body = format!(
        "<header class=\"bar\"><a class=\"brand\" href=\"/app\">Clickeen</a></header>\
         <main>{tabs}<h1>{}</h1>{content}</main>",
        esc(title)
    );
    html(state, StatusCode::OK, title, &body, cookies)
}

/// An error as a page (4xx with its message; 5xx generic).
fn error_page(state: &AppState, e: &Error) -> Response {
    let message = match e {
        Error::Client { message, .. } => message.to_string(),
        _ => "Something went wrong on our side. Please try again.".into(),
    };
    let body = format!(
        "<header class=\"bar\"><a class=\"brand\" href=\"/app\">Clickeen</a></header><main><h1>Not available</h1>\
         <div class=\"card\"><p class=\"error\" role=\"alert\">{}{}</p><p><a href=\"/app\">Back to your workspaces</a></p></div></main>",
        icon(&icons::ALERT),
        esc(&message)
    );
    html(state, e.status_code(), "Not available", &body, &[])
}

fn hidden_csrf(token: &str) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{token}\">")
}

fn widget_label(i: &workspaces::Instance) -> String {
    esc(if i.name.is_empty() {
        &i.widget_id
    } else {
        &i.name
    })
}

// Endpoints.

async fn endpoints_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(ws): Path<Uuid>,
) -> Response {
    match endpoints_view(&state, &signed, ws, None, None).await {
        Ok(r) | Err(r) => r,
    }
}

/// The endpoints page; after a creation it shows the new secret (`created`), after a refused form
/// the error and what was typed (`failed`: message, URL, description).
async fn endpoints_view(
    state: &AppState,
    signed: &Signed,
    ws: Uuid,
    created: Option<&webhooks::http::Created>,
    failed: Option<(&str, &str, &str)>,
) -> Result<Response, Response> {
    let Signed {
        user,
        cookies,
        csrf: token,
        ..
    } = signed;
    let load = async {
        let mut tx = state.db().begin(&user.actor()).await?;
        let name = owned(&mut tx, user, ws).await?;
        let endpoints = webhooks::db::list(&mut tx, user.id, ws).await?;
        let instances = workspaces::db::instances(&mut tx, user.id, ws).await?;
        tx.commit().await?;
        Ok::<_, Error>((name, endpoints, instances))
    };
    let (name, endpoints, instances) = load.await.map_err(|e| error_page(state, &e))?;
    let csrf = hidden_csrf(token);
    let mut content = String::new();
    if let Some(created) = created {
        content.push_str(&format!(
            "<section class=\"card\" aria-labelledby=\"secret-h\"><h2 id=\"secret-h\">{check}Endpoint created</h2>\
             <p>Its signing secret, shown <strong>only this once</strong>. Copy it into your receiver now; \
             it verifies the <code>Clickeen-Signature</code> header.</p>\
             <code class=\"secret\">{secret}</code></section>",
            check = icon(&icons::CHECK),
            secret = esc(&created.secret),
        ));
    }
    let names = |e: &webhooks::Endpoint| -> String {
        match &e.instance_ids {
            None => "Every widget".into(),
            Some(ids) => ids
                .0
                .iter()
                .map(|id| {
                    instances
                        .iter()
                        .find(|i| i.id == *id)
                        .map_or_else(|| id.to_string(), widget_label)
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    };
    let items: String = if endpoints.is_empty() {
        "<li class=\"muted\">No endpoints yet. Add one below to receive every submission as a signed POST.</li>".into()
    } else {
        endpoints
            .iter()
            .map(|e| {
                let (badge, toggle) = if e.active {
                    ("<span class=\"badge good\">Active</span>", "Turn off")
                } else {
                    ("<span class=\"badge\">Off</span>", "Turn on")
                };
                format!(
                    "<li><div class=\"grow\"><span class=\"row\">{badge}<code>{url}</code></span>\
                     <span class=\"muted\">{desc}{names} · secret {hint} · added {added}</span></div>\
                     <div class=\"row\"><a href=\"/app/workspaces/{ws}/deliveries?endpoint={id}\">Deliveries</a>\
                     <form method=\"post\" action=\"/app/workspaces/{ws}/webhooks/{id}/toggle\">{csrf}\
                     <button type=\"submit\" class=\"quiet\">{toggle}</button></form>\
                     <form method=\"post\" action=\"/app/workspaces/{ws}/webhooks/{id}/delete\">{csrf}\
                     <button type=\"submit\" class=\"quiet\" aria-label=\"Delete endpoint {url}\">{trash}Delete</button></form></div></li>",
                    url = esc(&e.url),
                    desc = if e.description.is_empty() {
                        String::new()
                    } else {
                        format!("{} · ", esc(&e.description))
                    },
                    names = names(e),
                    hint = esc(&e.secret_hint),
                    added = when(e.created_at),
                    id = e.id,
                    trash = icon(&icons::TRASH),
                )
            })
            .collect()
    };
    let (error, url, description) = failed.map_or((String::new(), "", ""), |(m, u, d)| {
        (
            format!(
                "<p class=\"error\" role=\"alert\">{}{}</p>",
                icon(&icons::ALERT),
                esc(m)
            ),
            u,
            d,
        )
    });
    let boxes: String = instances
        .iter()
        .map(|i| {
            format!(
                "<label class=\"check\"><input type=\"checkbox\" name=\"instance_ids\" value=\"{}\">{}</label>",
                i.id,
                widget_label(i)
            )
        })
        .collect();
    content.push_str(&format!(
        "<section class=\"card\"><h2>Endpoints</h2><ul class=\"list\">{items}</ul></section>\
         <section class=\"card\" aria-labelledby=\"add-h\"><h2 id=\"add-h\">{plus}Add an endpoint</h2>{error}\
         <form method=\"post\" action=\"/app/workspaces/{ws}/webhooks\">{csrf}\
         <label>URL<input type=\"url\" name=\"url\" required maxlength=\"2048\" placeholder=\"https://example.com/hooks/clickeen\" value=\"{url}\"></label>\
         <label>Description<input name=\"description\" maxlength=\"200\" placeholder=\"Optional\" value=\"{description}\"></label>\
         <fieldset><legend>Widgets (none ticked: every widget)</legend>{boxes}</fieldset>\
         <button type=\"submit\">{plus}Add endpoint</button></form>\
         <p class=\"muted\">Only https URLs on public addresses. Each submission is sent as a JSON POST signed \
         with the endpoint's secret; see the server docs for how to verify it.</p></section>",
        plus = icon(&icons::PLUS),
        url = esc(url),
        description = esc(description),
    ));
    Ok(page(
        state,
        "Webhooks",
        Some((ws, &name, Tab::Webhooks)),
        &content,
        cookies,
    ))
}

/// The endpoint form posts pairs: its widget checkboxes repeat `instance_ids`.
impl CsrfField for Vec<(String, String)> {
    fn csrf(&self) -> &str {
        pairs_get(self, "csrf")
    }
}

/// Reads a form with repeated keys (`instance_ids`).
fn pairs_get<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

async fn create_endpoint(
    State(state): State<AppState>,
    Path(ws): Path<Uuid>,
    SignedForm(signed, pairs): SignedForm<Vec<(String, String)>>,
) -> Response {
    let url = pairs_get(&pairs, "url");
    let description = pairs_get(&pairs, "description");
    let attempt = async {
        let user = &signed.user;
        let ids = pairs
            .iter()
            .filter(|(k, _)| k == "instance_ids")
            .map(|(_, v)| Uuid::parse_str(v))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Error::bad_request("unknown_instance", "unknown widget"))?;
        webhooks::http::create_as(&state, user, ws, url, description, ids).await
    };
    let view = match attempt.await {
        Ok(created) => endpoints_view(&state, &signed, ws, Some(&created), None).await,
        Err(e) => {
            let message = match &e {
                Error::Client { message, .. } => message.to_string(),
                _ => "Something went wrong on our side. Please try again.".into(),
            };
            let failed = Some((message.as_str(), url, description));
            endpoints_view(&state, &signed, ws, None, failed)
                .await
                .map(|mut r| {
                    *r.status_mut() = e.status_code();
                    r
                })
        }
    };
    match view {
        Ok(r) | Err(r) => r,
    }
}

/// What a form post of these pages answers once `action` ran: a redirect to `to` (with the
/// request's refreshed cookies), or the error page. The CSRF checks and the session came first,
/// in [`SignedForm`].
async fn back<T>(
    state: &AppState,
    signed: &Signed,
    to: &str,
    action: impl std::future::Future<Output = Result<T, Error>>,
) -> Response {
    match action.await {
        Ok(_) => signed.redirect(to),
        Err(e) => error_page(state, &e),
    }
}

async fn toggle_endpoint(
    State(state): State<AppState>,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    SignedForm(signed, _): SignedForm<CsrfForm>,
) -> Response {
    let user = &signed.user;
    let action = async {
        let mut tx = state.db().begin(&user.actor()).await?;
        let current = webhooks::db::get(&mut tx, user.id, ws, id)
            .await?
            .ok_or_else(|| Error::not_found("webhook endpoint"))?;
        tx.commit().await?;
        webhooks::http::set_active(&state, user, ws, id, !current.active).await
    };
    back(
        &state,
        &signed,
        &format!("/app/workspaces/{ws}/webhooks"),
        action,
    )
    .await
}

async fn delete_endpoint(
    State(state): State<AppState>,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    SignedForm(signed, _): SignedForm<CsrfForm>,
) -> Response {
    let user = &signed.user;
    let action = webhooks::http::delete_as(&state, user, ws, id);
    back(
        &state,
        &signed,
        &format!("/app/workspaces/{ws}/webhooks"),
        action,
    )
    .await
}

// Deliveries.

#[derive(Deserialize)]
struct DeliveriesQuery {
    #[serde(default)]
    endpoint: Option<Uuid>,
}

fn state_badge(state: &str) -> String {
    let (class, label) = match state {
        "delivered" => ("badge good", "Delivered"),
        "dead" => ("badge bad", "Failed"),
        "cancelled" => ("badge", "Cancelled"),
        _ => ("badge", "Pending"),
    };
    format!("<span class=\"{class}\">{label}</span>")
}

fn target(d: &outbox::db::Delivery) -> String {
    match (d.kind.as_str(), &d.url, &d.email) {
        ("webhook", Some(url), _) => format!("<code>{}</code>", esc(url)),
        ("digest", _, Some(email)) => format!("Daily digest to {}", esc(email)),
        (_, _, Some(email)) => format!("Mail to {}", esc(email)),
        (kind, _, _) => esc(kind),
    }
}

fn redeliver_form(ws: Uuid, d: &outbox::db::Delivery, csrf: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/app/workspaces/{ws}/deliveries/{id}/redeliver\">{csrf}\
         <button type=\"submit\" class=\"quiet\">{send}Redeliver</button></form>",
        id = d.id,
        send = icon(&icons::SEND),
    )
}

async fn deliveries_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(ws): Path<Uuid>,
    Query(q): Query<DeliveriesQuery>,
) -> Response {
    let Signed {
        user,
        cookies,
        csrf: token,
        ..
    } = signed;
    let load = async {
        let mut tx = state.db().begin(&user.actor()).await?;
        let name = owned(&mut tx, &user, ws).await?;
        let rows = outbox::db::list(&mut tx, user.id, ws, q.endpoint, 100).await?;
        tx.commit().await?;
        Ok::<_, Error>((name, rows))
    };
    let (name, rows) = match load.await {
        Ok(x) => x,
        Err(e) => return error_page(&state, &e),
    };
    let csrf = hidden_csrf(&token);
    let items: String = if rows.is_empty() {
        "<li class=\"muted\">Nothing delivered yet. Deliveries appear here as submissions arrive.</li>"
            .into()
    } else {
        rows.iter()
            .map(|d| {
                let detail = match (&d.state[..], &d.last_error) {
                    ("pending", Some(e)) => format!(" · retrying at {} · {}", when(d.next_attempt_at), esc(e)),
                    (_, Some(e)) => format!(" · {}", esc(e)),
                    _ => String::new(),
                };
                format!(
                    "<li><div class=\"grow\"><span class=\"row\">{badge}<span>{target}</span></span>\
                     <span class=\"muted\">{created} · {attempts} attempt{s}{detail}</span></div>\
                     <div class=\"row\"><a href=\"/app/workspaces/{ws}/deliveries/{id}\">Details</a>{form}</div></li>",
                    badge = state_badge(&d.state),
                    target = target(d),
                    created = when(d.created_at),
                    attempts = d.attempts,
                    s = if d.attempts == 1 { "" } else { "s" },
                    id = d.id,
                    form = redeliver_form(ws, d, &csrf),
                )
            })
            .collect()
    };
    let filter = if q.endpoint.is_some() {
        format!("<p class=\"muted\">One endpoint's deliveries. <a href=\"/app/workspaces/{ws}/deliveries\">Show all</a></p>")
    } else {
        String::new()
    };
    let content = format!(
        "{filter}<section class=\"card\"><ul class=\"list\">{items}</ul></section>\
         <p class=\"muted\">Failed attempts are retried with growing pauses for about a day. Redeliver \
         sends the same delivery (same <code>Clickeen-Delivery</code> id) again now.</p>"
    );
    page(
        &state,
        "Deliveries",
        Some((ws, &name, Tab::Deliveries)),
        &content,
        &cookies,
    )
}

async fn delivery_page(
    State(state): State<AppState>,
    signed: Signed,
    Path((ws, id)): Path<(Uuid, Uuid)>,
) -> Response {
    let Signed {
        user,
        cookies,
        csrf: token,
        ..
    } = signed;
    let load = async {
        let mut tx = state.db().begin(&user.actor()).await?;
        let name = owned(&mut tx, &user, ws).await?;
        let d = outbox::db::get(&mut tx, user.id, ws, id)
            .await?
            .ok_or_else(|| Error::not_found("delivery"))?;
        let attempts = outbox::db::attempts(&mut tx, user.id, ws, id).await?;
        tx.commit().await?;
        Ok::<_, Error>((name, d, attempts))
    };
    let (name, d, attempts) = match load.await {
        Ok(x) => x,
        Err(e) => return error_page(&state, &e),
    };
    let log: String = if attempts.is_empty() {
        "<li class=\"muted\">No attempt yet.</li>".into()
    } else {
        attempts
            .iter()
            .map(|a| {
                let status = a
                    .response_status
                    .map_or_else(|| "no response".to_owned(), |s| format!("HTTP {s}"));
                let snippet = a.response_snippet.as_deref().map_or_else(String::new, |s| {
                    format!("<pre>{}</pre>", esc(s))
                });
                let error = a.error.as_deref().map_or_else(String::new, |e| {
                    format!("<span class=\"muted\">{}</span>", esc(e))
                });
                format!(
                    "<li><div class=\"grow\"><span class=\"row\">{badge}<strong>Attempt {n}</strong>\
                     <span class=\"muted\">{status} · {ms} ms · {at}</span></span>{error}{snippet}</div></li>",
                    badge = state_badge(if a.outcome == "delivered" { "delivered" } else { "dead" }),
                    n = a.attempt,
                    ms = a.duration_ms,
                    at = when(a.started_at),
                )
            })
            .collect()
    };
    let submission = d.submission_id.map_or_else(String::new, |s| {
        format!("<dt>Submission</dt><dd><a href=\"/app/submissions/{s}\">{s}</a></dd>")
    });
    let content = format!(
        "<section class=\"card\"><dl><dt>Status</dt><dd>{badge}</dd><dt>To</dt><dd>{target}</dd>\
         <dt>Delivery id</dt><dd><code>{id}</code></dd>{submission}<dt>Created</dt><dd>{created}</dd></dl>\
         <p class=\"row\">{form}</p></section><h2>Attempts</h2><ul class=\"list\">{log}</ul>",
        badge = state_badge(&d.state),
        target = target(&d),
        id = d.id,
        created = when(d.created_at),
        form = redeliver_form(ws, &d, &hidden_csrf(&token)),
    );
    page(
        &state,
        "Delivery",
        Some((ws, &name, Tab::Deliveries)),
        &content,
        &cookies,
    )
}

async fn redeliver(
    State(state): State<AppState>,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    SignedForm(signed, _): SignedForm<CsrfForm>,
) -> Response {
    let user = &signed.user;
    let action = outbox::http::redeliver_as(&state, user, ws, id);
    back(
        &state,
        &signed,
        &format!("/app/workspaces/{ws}/deliveries/{id}"),
        action,
    )
    .await
}

// Notifications.

async fn notifications_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(ws): Path<Uuid>,
) -> Response {
    let Signed {
        user,
        cookies,
        csrf: token,
        ..
    } = signed;
    let load = async {
        let mut tx = state.db().begin(&user.actor()).await?;
        let name = owned(&mut tx, &user, ws).await?;
        let settings = notifications::db::settings(&mut tx, user.id, ws).await?;
        tx.commit().await?;
        Ok::<_, Error>((name, settings))
    };
    let (name, settings) = match load.await {
        Ok(x) => x,
        Err(e) => return error_page(&state, &e),
    };
    let csrf = hidden_csrf(&token);
    let items: String = if settings.is_empty() {
        "<li class=\"muted\">No widgets in this workspace yet.</li>".into()
    } else {
        settings
            .iter()
            .map(|s| {
                let current = s.mode.as_deref().and_then(Mode::parse).unwrap_or(Mode::None);
                let options: String = [Mode::Each, Mode::Digest, Mode::None]
                    .iter()
                    .map(|m| {
                        format!(
                            "<option value=\"{}\"{}>{}</option>",
                            m.as_str(),
                            if *m == current { " selected" } else { "" },
                            m.label()
                        )
                    })
                    .collect();
                let label = esc(if s.name.is_empty() { &s.widget_id } else { &s.name });
                format!(
                    "<li><div class=\"grow\"><strong>{label}</strong><span class=\"muted\">{widget} · now: {now}</span></div>\
                     <form method=\"post\" action=\"/app/workspaces/{ws}/notifications\" class=\"row\">{csrf}\
                     <input type=\"hidden\" name=\"instance\" value=\"{id}\">\
                     <select name=\"mode\" aria-label=\"Mail for {label}\">{options}</select>\
                     <button type=\"submit\" class=\"quiet\">Save</button></form></li>",
                    widget = esc(&s.widget_id),
                    now = current.label(),
                    id = s.instance_id,
                )
            })
            .collect()
    };
    let content = format!(
        "<section class=\"card\"><p>Mail to you ({email}) about each widget's submissions: one per \
         submission, one a day with that day's submissions, or none. Every mail has a one-click \
         unsubscribe link.</p><ul class=\"list\">{items}</ul></section>",
        email = esc(user.email.as_deref().unwrap_or_default()),
    );
    page(
        &state,
        "Notifications",
        Some((ws, &name, Tab::Notifications)),
        &content,
        &cookies,
    )
}

#[derive(Deserialize)]
struct NotificationForm {
    csrf: String,
    instance: Uuid,
    mode: String,
}
csrf_forms!(NotificationForm);

async fn save_notification(
    State(state): State<AppState>,
    Path(ws): Path<Uuid>,
    SignedForm(signed, form): SignedForm<NotificationForm>,
) -> Response {
    let user = &signed.user;
    let action = async {
        let mode = Mode::parse(&form.mode)
            .ok_or_else(|| Error::bad_request("invalid_mode", "choose each, digest or none"))?;
        notifications::http::set_as(&state, user, ws, form.instance, mode).await
    };
    back(
        &state,
        &signed,
        &format!("/app/workspaces/{ws}/notifications"),
        action,
    )
    .await
}

// One submission.

async fn submission_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Response {
    let Signed { user, cookies, .. } = signed;
    let load = async {
        let mut tx = state.db().begin(&user.actor()).await?;
        let row = notifications::db::member_submission(&mut tx, user.id, id)
            .await?
            .ok_or_else(|| Error::not_found("submission"))?;
        let instance = workspaces::db::instance(&mut tx, row.instance_id, Some(user.id))
            .await?
            .ok_or_else(|| Error::not_found("submission"))?;
        tx.commit().await?;
        Ok::<_, Error>((row, instance))
    };
    let (row, instance) = match load.await {
        Ok(x) => x,
        Err(e) => return error_page(&state, &e),
    };
    let fields: String = notifications::fields_of(&instance.config.0, &row.data.0)
        .into_iter()
        .map(|(label, value)| format!("<dt>{}</dt><dd>{}</dd>", esc(&label), esc(&value)))
        .collect();
    let content = format!(
        "<p class=\"muted\">{widget} · {at} · <code>{id}</code></p><section class=\"card\"><dl>{fields}</dl></section>",
        widget = widget_label(&instance),
        at = when(row.created_at),
        id = row.id,
    );
    page(&state, "Submission", None, &content, &cookies)
}

#[cfg(test)]
mod tests {
    #[test]
    fn css_uses_only_tokens() {
        crate::dashboard::assert_tokens_only(super::CSS);
    }
}
