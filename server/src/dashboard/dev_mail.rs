//! `/dev/mail`: the local mail catcher of development (no `SMTP_URL`), like Supabase's. Lists the
//! outbox and shows one message with its links clickable, so sign-up and sign-in links work on one
//! machine. Mounted only when [`crate::config::Config::serves_dev_mail`] (development without SMTP):
//! it shows every account's live links to whoever can reach it. Expired mail is purged on each visit.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
    routing::get,
    Router,
};
use ck_icons::icons;
use serde::Deserialize;
use uuid::Uuid;

use super::{esc, html, icon};
use crate::{
    error::Error,
    state::AppState,
    store::{Actor, Ts},
    users::db::{self, OutboxMail},
};

/// Routes of this module, merged by `http::router` in development only.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/dev/mail", get(list))
        .route("/dev/mail/{id}", get(show))
}

#[derive(Deserialize)]
struct ListQuery {
    /// Only mail to this address.
    #[serde(default)]
    to: Option<String>,
}

async fn unexpired(state: &AppState, to: Option<&str>) -> Result<Vec<OutboxMail>, Error> {
    let now = Ts::now();
    let mut tx = state.db().begin(&Actor::Auth).await?;
    db::purge_expired(&mut tx, now).await?;
    let mail = db::outbox(&mut tx, to, now).await?;
    tx.commit().await?;
    Ok(mail)
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub(crate) fn when(ts: Ts) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts.unix()).map_or_else(
        |_| String::new(),
        |t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        },
    )
}

const NOTE: &str =
    "<p class=\"muted\">Development only: mail that would have been sent. No SMTP_URL is \
    configured; messages disappear when their links expire. Never served in production.</p>";

async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Response, Error> {
    let to = q.to.as_deref().map(|t| t.trim().to_lowercase());
    let mail = unexpired(&state, to.as_deref()).await?;
    let items: String = if mail.is_empty() {
        "<li class=\"muted\">No mail yet.</li>".into()
    } else {
        mail.iter()
            .map(|m| {
                format!(
                    "<li><a href=\"/dev/mail/{id}\">{subject}</a><span class=\"muted\">{to} · {when}</span></li>",
                    id = m.id,
                    subject = esc(&m.subject),
                    to = esc(&m.to_email),
                    when = when(m.created_at),
                )
            })
            .collect()
    };
    let body = format!(
        "<main><h1>{mail_icon}Local mail</h1>{NOTE}<ul class=\"list\">{items}</ul></main>",
        mail_icon = icon(&icons::MAIL)
    );
    Ok(html(&state, StatusCode::OK, "Local mail", &body, &[]))
}

/// One line of a plain-text body: links become anchors, everything is escaped.
fn line(text: &str) -> String {
    let t = text.trim();
    if (t.starts_with("http://") || t.starts_with("https://")) && !t.contains(char::is_whitespace) {
        format!("<a href=\"{0}\">{0}</a>", esc(t))
    } else {
        esc(text)
    }
}

async fn show(State(state): State<AppState>, Path(id): Path<Uuid>) -> Result<Response, Error> {
    let mail = unexpired(&state, None).await?;
    let Some(m) = mail.iter().find(|m| m.id == id) else {
        return Ok(html(
            &state,
            StatusCode::NOT_FOUND,
            "Local mail",
            &format!(
                "<main><h1>Not found</h1>{NOTE}<p><a href=\"/dev/mail\">All mail</a></p></main>"
            ),
            &[],
        ));
    };
    let paragraphs: String = m
        .body
        .split("\n\n")
        .map(|p| {
            format!(
                "<p>{}</p>",
                p.lines().map(line).collect::<Vec<_>>().join("<br>")
            )
        })
        .collect();
    // The header a mail client turns into its own "Unsubscribe" button.
    let unsubscribe = m
        .list_unsubscribe
        .as_deref()
        .map_or_else(String::new, |url| {
            format!(
                "<p class=\"muted\">List-Unsubscribe (one-click): <a href=\"{0}\">{0}</a></p>",
                esc(url)
            )
        });
    let body = format!(
        "<main><p><a href=\"/dev/mail\">{back}All mail</a></p><h1>{subject}</h1>\
         <p class=\"muted\">To {to} · {when}</p>{unsubscribe}<div class=\"card\">{paragraphs}</div>{NOTE}</main>",
        back = icon(&icons::ARROW_LEFT),
        subject = esc(&m.subject),
        to = esc(&m.to_email),
        when = when(m.created_at),
    );
    Ok(html(&state, StatusCode::OK, &m.subject, &body, &[]))
}
