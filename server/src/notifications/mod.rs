//! Email notifications of submissions: each owner chooses per widget — every submission, a daily
//! digest, or none (the default) — and the mail goes through the configured mailer (in
//! development, the local mail page `/dev/mail`) from the [`crate::outbox`], with its retries.
//!
//! A mail lists the submission's fields by their labels, links to the submission in the dashboard
//! and carries a one-click unsubscribe: `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058)
//! with a signed URL (HMAC of the owner and widget under the server's key), which turns that
//! widget's notifications off for that owner without signing in.
//!
//! A digest row is queued (once per owner, widget and UTC day) by the day's first submission and
//! falls due at the end of that day; it then gathers every submission of that day.
//!
//! Table: `notification_settings`.

pub(crate) mod db;
pub(crate) mod http;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, Time};
use uuid::Uuid;

use crate::{
    outbox::{db::Claimed, Outcome},
    state::AppState,
    store::{Actor, Ts},
    submissions::db::SubmissionRow,
    users::mail::Mail,
    widgets, workspaces,
};

/// How an owner hears about a widget's submissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Mode {
    /// A mail per submission.
    Each,
    /// One mail a day with that day's submissions.
    Digest,
    /// No mail.
    None,
}

impl Mode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Mode::Each => "each",
            Mode::Digest => "digest",
            Mode::None => "none",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "each" => Some(Mode::Each),
            "digest" => Some(Mode::Digest),
            "none" => Some(Mode::None),
            _ => None,
        }
    }

    /// How the dashboard names it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Mode::Each => "Every submission",
            Mode::Digest => "Daily digest",
            Mode::None => "None",
        }
    }
}

/// How long a notification's links are kept on the development mail page.
const DEV_MAIL_DAYS: i64 = 7;
/// Submissions listed in one digest; the rest are behind the link.
const DIGEST_MAX: usize = 100;

/// The UTC day of `t` (`YYYY-MM-DD`) and the instant it ends.
pub(crate) fn day_of(t: Ts) -> (String, Ts) {
    let date = t.0.date();
    let end = date
        .next_day()
        .map_or(t, |d| Ts(OffsetDateTime::new_utc(d, Time::MIDNIGHT)));
    (format_date(date), end)
}

fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The start and end of the UTC day `YYYY-MM-DD`.
fn day_bounds(day: &str) -> Option<(Ts, Ts)> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(day, &format).ok()?;
    let start = OffsetDateTime::new_utc(date, Time::MIDNIGHT);
    let end = OffsetDateTime::new_utc(date.next_day()?, Time::MIDNIGHT);
    Some((Ts(start), Ts(end)))
}

/// `HH:MM UTC` of `t`.
fn clock(t: Ts) -> String {
    format!("{:02}:{:02} UTC", t.0.hour(), t.0.minute())
}

/// A submission's fields as (label, value) in form order, then any keys the form does not name.
pub(crate) fn fields_of(
    config: &serde_json::Value,
    data: &serde_json::Value,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut named = Vec::new();
    if let Ok(form) = widgets::form_config(config) {
        for field in &form.fields {
            named.push(field.name.clone());
            let label = if field.label.is_empty() {
                field.name.clone()
            } else {
                field.label.clone()
            };
            out.push((label, show(data.get(&field.name))));
        }
    }
    if let Some(map) = data.as_object() {
        let mut rest: Vec<_> = map.keys().filter(|k| !named.contains(k)).collect();
        rest.sort();
        for key in rest {
            out.push((key.clone(), show(map.get(key))));
        }
    }
    out
}

fn show(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "—".into(),
        Some(serde_json::Value::String(s)) if s.is_empty() => "—".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Bool(true)) => "Yes".into(),
        Some(serde_json::Value::Bool(false)) => "No".into(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| show(Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// The signature of an unsubscribe link for `user` and `instance` (128 bits, hex).
pub(crate) fn unsubscribe_sig(state: &AppState, user: Uuid, instance: Uuid) -> String {
    let mut data = user.as_bytes().to_vec();
    data.extend_from_slice(instance.as_bytes());
    hex::encode(&state.outbox().derive("unsubscribe", &data)[..16])
}

/// The signed one-click unsubscribe URL.
pub(crate) fn unsubscribe_url(state: &AppState, user: Uuid, instance: Uuid) -> String {
    format!(
        "{}/notifications/unsubscribe?u={user}&i={instance}&s={}",
        state.public_url(),
        unsubscribe_sig(state, user, instance)
    )
}

/// What a notification row needs: the recipient, the widget, whether they still want it.
struct Context {
    email: String,
    instance: workspaces::Instance,
    mode: Option<Mode>,
}

async fn context(state: &AppState, row: &Claimed) -> Result<Option<Context>, sqlx::Error> {
    let (Some(user), Some(instance)) = (row.user_id, row.instance_id) else {
        return Ok(None);
    };
    let mut tx = state.db().begin(&Actor::System).await?;
    let email = db::recipient(&mut tx, user).await?;
    let inst = workspaces::db::instance(&mut tx, instance, None).await?;
    let mode = db::subscribed_mode(&mut tx, user, instance).await?;
    tx.commit().await?;
    Ok(match (email, inst) {
        (Some(email), Some(instance)) => Some(Context {
            email,
            instance,
            mode,
        }),
        _ => None,
    })
}

fn widget_name(i: &workspaces::Instance) -> &str {
    if i.name.is_empty() {
        &i.widget_id
    } else {
        &i.name
    }
}

fn fields_text(config: &serde_json::Value, row: &SubmissionRow) -> String {
    fields_of(config, &row.data.0)
        .into_iter()
        .map(|(label, value)| {
            // One line per field: the mail is plain text, line breaks in a value are flattened.
            let value = value.replace(['\r', '\n'], " ");
            format!("{label}: {value}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn unsubscribe_footer(name: &str, mode: Mode, url: &str) -> String {
    format!(
        "You get this mail because notifications for \"{name}\" are set to \"{}\". \
         To stop them, open this link (one click, no sign-in):\n{url}",
        mode.label().to_lowercase()
    )
}

async fn send(state: &AppState, to: &str, subject: &str, body: &str, unsubscribe: &str) -> Outcome {
    let mail = Mail {
        to,
        subject,
        body,
        expires: Ts::now().plus(time::Duration::days(DEV_MAIL_DAYS)),
        unsubscribe: Some(unsubscribe),
    };
    match state.mailer().send_mail(state.db(), &mail).await {
        Ok(()) => Outcome::delivered(),
        Err(e) => Outcome::failed(format!("mail: {e:#}")),
    }
}

/// One attempt at a per-submission mail.
pub(crate) async fn deliver_one(state: &AppState, row: &Claimed) -> Outcome {
    let ctx = match context(state, row).await {
        Ok(Some(ctx)) => ctx,
        Ok(None) => return Outcome::cancelled("the recipient or the widget is gone"),
        Err(e) => return Outcome::failed(format!("database: {e}")),
    };
    if ctx.mode != Some(Mode::Each) {
        return Outcome::cancelled("notifications were turned off");
    }
    let Some(submission_id) = row.submission_id else {
        return Outcome::cancelled("no submission");
    };
    let submission = async {
        let mut tx = state.db().begin(&Actor::System).await?;
        let s = db::submission(&mut tx, submission_id).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(s)
    };
    let submission = match submission.await {
        Ok(Some(s)) => s,
        Ok(None) => return Outcome::cancelled("the submission was deleted"),
        Err(e) => return Outcome::failed(format!("database: {e}")),
    };
    let user = row.user_id.unwrap_or_default();
    let name = widget_name(&ctx.instance);
    let unsubscribe = unsubscribe_url(state, user, ctx.instance.id);
    let body = format!(
        "\"{name}\" received a new submission on {day} at {at}.\n\n{fields}\n\n\
         Open it in Clickeen:\n{public}/app/submissions/{id}\n\n{footer}",
        day = day_of(submission.created_at).0,
        at = clock(submission.created_at),
        fields = fields_text(&ctx.instance.config.0, &submission),
        public = state.public_url(),
        id = submission.id,
        footer = unsubscribe_footer(name, Mode::Each, &unsubscribe),
    );
    let subject = format!("New submission: {name}");
    send(state, &ctx.email, &subject, &body, &unsubscribe).await
}

/// One attempt at a day's digest.
pub(crate) async fn deliver_digest(state: &AppState, row: &Claimed) -> Outcome {
    let ctx = match context(state, row).await {
        Ok(Some(ctx)) => ctx,
        Ok(None) => return Outcome::cancelled("the recipient or the widget is gone"),
        Err(e) => return Outcome::failed(format!("database: {e}")),
    };
    if ctx.mode != Some(Mode::Digest) {
        return Outcome::cancelled("the digest was turned off");
    }
    let Some((start, end)) = row.digest_day.as_deref().and_then(day_bounds) else {
        return Outcome::cancelled("no day");
    };
    let rows = async {
        let mut tx = state.db().begin(&Actor::System).await?;
        let rows = db::submissions_between(&mut tx, ctx.instance.id, start, end).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(rows)
    };
    let rows = match rows.await {
        Ok(rows) if rows.is_empty() => return Outcome::cancelled("no submissions that day"),
        Ok(rows) => rows,
        Err(e) => return Outcome::failed(format!("database: {e}")),
    };
    let user = row.user_id.unwrap_or_default();
    let name = widget_name(&ctx.instance);
    let day = row.digest_day.clone().unwrap_or_default();
    let unsubscribe = unsubscribe_url(state, user, ctx.instance.id);
    let mut body = format!(
        "\"{name}\" received {n} submission{s} on {day} (UTC).",
        n = rows.len(),
        s = if rows.len() == 1 { "" } else { "s" },
    );
    for submission in rows.iter().take(DIGEST_MAX) {
        body.push_str(&format!(
            "\n\nAt {at}:\n{fields}\n{public}/app/submissions/{id}",
            at = clock(submission.created_at),
            fields = fields_text(&ctx.instance.config.0, submission),
            public = state.public_url(),
            id = submission.id,
        ));
    }
    if rows.len() > DIGEST_MAX {
        body.push_str(&format!(
            "\n\n…and {} more in the dashboard.",
            rows.len() - DIGEST_MAX
        ));
    }
    body.push_str("\n\n");
    body.push_str(&unsubscribe_footer(name, Mode::Digest, &unsubscribe));
    let subject = format!(
        "{n} new submission{s} to {name} on {day}",
        n = rows.len(),
        s = if rows.len() == 1 { "" } else { "s" },
    );
    send(state, &ctx.email, &subject, &body, &unsubscribe).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_calendar_days() {
        let t = Ts(time::macros::datetime!(2026-11-29 23:59:59.5 UTC));
        let (day, end) = day_of(t);
        assert_eq!(day, "2026-11-29");
        assert_eq!(end.0, time::macros::datetime!(2026-11-30 00:00 UTC));
        let (start, stop) = day_bounds("2026-11-29").unwrap();
        assert_eq!(start.0, time::macros::datetime!(2026-11-29 00:00 UTC));
        assert_eq!(stop, end);
        assert!(day_bounds("29/11/2026").is_none());
    }

    #[test]
    fn fields_follow_the_form_then_the_rest() {
        let config = serde_json::json!({"fields": [
            {"type": "text", "name": "name", "label": "Your name"},
            {"type": "checkbox", "name": "agree", "label": "I agree"}
        ]});
        let data = serde_json::json!({"agree": true, "zeta": [1, "a"], "name": "Ann"});
        assert_eq!(
            fields_of(&config, &data),
            [
                ("Your name".into(), "Ann".into()),
                ("I agree".into(), "Yes".into()),
                ("zeta".into(), "1, a".into())
            ]
        );
        assert_eq!(
            fields_of(
                &serde_json::json!({}),
                &serde_json::json!({"b": null, "a": ""})
            ),
            [("a".into(), "—".into()), ("b".into(), "—".into())]
        );
    }
}
