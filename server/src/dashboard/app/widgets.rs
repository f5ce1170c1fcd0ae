//! Widget pages: one widget (7-day usage, config editor, snippet, delete), its submissions (paged
//! newest first, CSV, delete one), and the confirmations before deleting.

use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::Response,
};
use ck_icons::icons;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    chart::{self, Series},
    csrf_field, done_notice, esc, labelled, or_error,
    pages::{display_name, Done},
    when, workspace, ws_path, Confirm, CsrfForm, Frame, Notice, Signed, SignedForm, Tab,
};
use crate::{
    error::Error,
    state::AppState,
    submissions::{self, http as subs},
    usage,
    workspaces::{self, Instance},
};

super::csrf_forms!(ConfigForm);

/// Submissions per dashboard page.
const PAGE_SIZE: i64 = 25;

/// The instance `id` of workspace `ws` as the user sees it; 404 for anyone else's.
async fn member_instance(
    state: &AppState,
    signed: &Signed,
    ws: Uuid,
    id: Uuid,
) -> Result<Instance, Error> {
    let mut tx = state.db().begin(&signed.user.actor()).await?;
    let found = workspaces::db::instance(&mut tx, id, Some(signed.user.id)).await?;
    tx.commit().await?;
    found
        .filter(|i| i.workspace_id == Some(ws))
        .ok_or_else(|| Error::not_found("widget"))
}

/// One widget: usage, config, snippet, delete.
pub(crate) async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    Query(q): Query<Done>,
) -> Response {
    let notice = done_notice(q.done.as_deref());
    or_error(
        &state,
        widget_page(&state, &signed, ws, id, notice, None).await,
    )
}

/// The widget page; `typed` is the config text the owner tried to save (kept after an error).
async fn widget_page(
    state: &AppState,
    signed: &Signed,
    ws: Uuid,
    id: Uuid,
    notice: Option<Notice>,
    typed: Option<&str>,
) -> Result<Response, Error> {
    let (current, all) = workspace(state, &signed.user, ws).await?;
    let instance = member_instance(state, signed, ws, id).await?;
    let report = usage::report(state, &signed.user, ws, Some(id)).await?;
    let base = format!("{}/widgets/{id}", ws_path(ws));
    let csrf = csrf_field(&signed.csrf);
    let owner = current.role == "owner";
    let config_text = match typed {
        Some(t) => t.to_owned(),
        None => serde_json::to_string_pretty(&instance.config.0).unwrap_or_default(),
    };
    let usage_html = chart::render(
        &report,
        &[Series::Views, Series::Interactions, Series::Errors],
        &format!("{} usage, last 7 days", display_name(&instance)),
        "widget-usage",
    );
    // Forms get the builder's editor and live preview over the plain form (app-editor.js).
    let visual = owner && instance.widget_id == "form";
    let editor = if owner {
        let shell = if visual {
            "<div id=\"config-editor\" class=\"grid\" hidden><div id=\"config-fields\"></div>\
             <div class=\"sticky\"><h3>Preview</h3><p class=\"muted\">The real embed, with this config.</p>\
             <div id=\"config-preview\" class=\"stage\"></div></div></div>"
        } else {
            ""
        };
        format!(
            "{shell}<form method=\"post\" action=\"{base}/config\" class=\"config-form\">{csrf}\
             <details class=\"json\" open><summary>Edit as JSON</summary>\
             <label for=\"config\" class=\"sr-only\">Config (JSON)</label>\
             <p class=\"muted\" id=\"config-help\">The same config the builder makes. It is checked with the \
             widget's own rules before it is saved; live embeds pick it up on their next load.</p>\
             <textarea id=\"config\" name=\"config\" rows=\"16\" spellcheck=\"false\" \
             aria-describedby=\"config-help\">{}</textarea></details>\
             <p id=\"config-check\" class=\"error\" role=\"alert\" hidden></p>\
             <div class=\"actions\"><button type=\"submit\">Save config</button></div></form>",
            esc(&config_text)
        )
    } else {
        format!("<pre class=\"code\">{}</pre>", esc(&config_text))
    };
    let snippet = crate::drafts::snippet(
        &state.public_url(),
        &instance.widget_id,
        id,
        "YOUR_EMBED_TOKEN",
    );
    let submissions_link = if instance.widget_id == "form" {
        format!(
            "<p><a class=\"button quiet\" href=\"{base}/submissions\">{}</a></p>",
            labelled(&icons::MAIL, "Submissions")
        )
    } else {
        String::new()
    };
    let issue = if owner {
        format!(
            "<form method=\"post\" action=\"{}/tokens\" class=\"inline\">{csrf}\
             <input type=\"hidden\" name=\"scope\" value=\"widget\"><input type=\"hidden\" name=\"instance_id\" value=\"{id}\">\
             <button type=\"submit\" class=\"quiet\">{}</button></form>",
            ws_path(ws),
            labelled(&icons::PLUS, "Issue a token for this widget")
        )
    } else {
        String::new()
    };
    let danger = if owner {
        format!(
            "<section class=\"card danger-zone\" aria-labelledby=\"del-h\"><h2 id=\"del-h\">Delete this widget</h2>\
             <p>Its embeds stop working, and its usage and visitors' submissions are deleted.</p>\
             <p><a class=\"button danger\" href=\"{base}/delete\">{}</a></p></section>",
            labelled(&icons::TRASH, "Delete widget…")
        )
    } else {
        String::new()
    };
    let main = format!(
        "<p class=\"crumbs\"><a href=\"{ws_base}\">{ws_name}</a> / {name}</p>\
         <h1>{name} <span class=\"badge {status}\">{status}</span></h1>{submissions_link}\
         <section aria-labelledby=\"u-h\"><h2 id=\"u-h\">Last 7 days</h2>{usage_html}</section>\
         <section class=\"card\" aria-labelledby=\"c-h\"><h2 id=\"c-h\">Config</h2>{editor}</section>\
         <section class=\"card\" aria-labelledby=\"s-h\"><h2 id=\"s-h\">Snippet</h2>\
         <p class=\"muted\">Paste it where the widget should appear, with an embed token that covers it in place of \
         <code>YOUR_EMBED_TOKEN</code>. Tokens are shown only once, when issued.</p>\
         <div class=\"copyable\"><pre class=\"code\" id=\"snippet\">{snippet}</pre>\
         <button type=\"button\" class=\"quiet small\" data-copy=\"snippet\" hidden>{copy}</button></div>{issue}</section>{danger}",
        ws_base = ws_path(ws),
        ws_name = esc(&current.name),
        name = esc(display_name(&instance)),
        status = esc(&instance.status),
        snippet = esc(&snippet),
        copy = labelled(&icons::COPY, "Copy"),
    );
    let frame = Frame {
        signed,
        current: Some(&current),
        all: &all,
        tab: Tab::Overview,
        notice,
    };
    let status = match &frame.notice {
        Some(Notice::Error(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    Ok(frame.render_page(state, status, display_name(&instance), &main, visual))
}

/// The config editor's post.
#[derive(Deserialize)]
pub(crate) struct ConfigForm {
    csrf: String,
    config: String,
}

/// Saves a widget's config (owners): JSON, then the widget's own rules; errors keep the text.
pub(crate) async fn save_config(
    State(state): State<AppState>,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    SignedForm(signed, form): SignedForm<ConfigForm>,
) -> Response {
    let saved = async {
        let config: serde_json::Value = serde_json::from_str(&form.config).map_err(|e| {
            Error::bad_request(
                "invalid_json",
                format!(
                    "the config is not valid JSON (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        // The instance must be in this workspace (the URL's), not just any of the user's.
        member_instance(&state, &signed, ws, id).await?;
        workspaces::update_config(&state, &signed.user, id, &config).await
    };
    match saved.await {
        Ok(_) => signed.redirect(&format!("{}/widgets/{id}?done=saved", ws_path(ws))),
        Err(e) => or_error(
            &state,
            widget_page(
                &state,
                &signed,
                ws,
                id,
                Some(Notice::of(&e)),
                Some(&form.config),
            )
            .await,
        ),
    }
}

/// "Delete this widget?": says that its submissions go too.
pub(crate) async fn confirm_delete(
    State(state): State<AppState>,
    signed: Signed,
    Path((ws, id)): Path<(Uuid, Uuid)>,
) -> Response {
    let page = async {
        let (current, all) = workspace(&state, &signed.user, ws).await?;
        let instance = member_instance(&state, &signed, ws, id).await?;
        let base = format!("{}/widgets/{id}", ws_path(ws));
        let what = format!(
            "<p>Delete <strong>{}</strong>? Pages that embed it show nothing from then on, its embed tokens \
             stop working, and its usage and <strong>all submissions visitors made</strong> are deleted. \
             This cannot be undone.</p>",
            esc(display_name(&instance))
        );
        Ok(Confirm {
            title: "Delete this widget?",
            what_html: &what,
            action: &format!("{base}/delete"),
            button: "Delete widget and its submissions",
            back: &base,
        }
        .render(&state, &signed, (&current, &all), Tab::Overview))
    };
    or_error(&state, page.await)
}

/// Deletes a widget (owners) with its tokens, usage and submissions.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    SignedForm(signed, _): SignedForm<CsrfForm>,
) -> Response {
    let deleted = async {
        member_instance(&state, &signed, ws, id).await?;
        workspaces::delete_instance(&state, &signed.user, id).await
    };
    match deleted.await {
        Ok(()) => signed.redirect(&format!("{}?done=widget_deleted", ws_path(ws))),
        Err(e) => or_error(&state, Err(e)),
    }
}

/// The submissions list's query.
#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// Submissions of a form, newest first, a page at a time.
pub(crate) async fn submissions(
    State(state): State<AppState>,
    signed: Signed,
    Path((ws, id)): Path<(Uuid, Uuid)>,
    Query(q): Query<PageQuery>,
) -> Response {
    or_error(&state, submissions_page(&state, &signed, ws, id, &q).await)
}

async fn submissions_page(
    state: &AppState,
    signed: &Signed,
    ws: Uuid,
    id: Uuid,
    q: &PageQuery,
) -> Result<Response, Error> {
    let (current, all) = workspace(state, &signed.user, ws).await?;
    let instance = member_instance(state, signed, ws, id).await?;
    let page = subs::page(state, &signed.user, ws, id, q.cursor.as_deref(), PAGE_SIZE).await?;
    let base = format!("{}/widgets/{id}", ws_path(ws));
    let columns = submissions::columns(&instance.config.0, &page.rows);
    let hidden = submissions::hidden_columns(&instance.config.0);
    let owner = current.role == "owner";
    let list = if page.rows.is_empty() && q.cursor.is_none() {
        "<div class=\"empty\"><p><strong>No submissions yet.</strong> When visitors send this form, \
         their answers appear here, newest first.</p></div>"
            .to_owned()
    } else {
        let head: String = columns
            .iter()
            .map(|c| {
                // Hidden fields hold what the page set (campaign, referrer), not the visitor's
                // answers: said in the header, for people and screen readers alike.
                let badge = if hidden.contains(c) {
                    " <span class=\"badge\">hidden</span>"
                } else {
                    ""
                };
                format!("<th scope=\"col\">{}{badge}</th>", esc(c))
            })
            .collect();
        let rows: String = page
            .rows
            .iter()
            .map(|r| {
                let cells: String = columns
                    .iter()
                    .map(|c| format!("<td>{}</td>", esc(&submissions::cell(r.data.0.get(c)))))
                    .collect();
                let delete = if owner {
                    format!(
                        "<td><a href=\"{base}/submissions/{}/delete\" aria-label=\"Delete the submission of {}\">{}</a></td>",
                        r.id,
                        when(r.created_at),
                        labelled(&icons::TRASH, "Delete")
                    )
                } else {
                    "<td></td>".to_owned()
                };
                format!(
                    "<tr><th scope=\"row\"><time datetime=\"{}\">{}</time></th>{cells}{delete}</tr>",
                    r.created_at.millis(),
                    when(r.created_at)
                )
            })
            .collect();
        format!(
            "<div class=\"table-wrap\"><table class=\"data submissions\"><caption class=\"sr-only\">Submissions, newest first</caption>\
             <thead><tr><th scope=\"col\">Received</th>{head}<th scope=\"col\"><span class=\"sr-only\">Actions</span></th></tr></thead>\
             <tbody>{rows}</tbody></table></div>"
        )
    };
    let mut pager = String::new();
    if q.cursor.is_some() {
        pager.push_str(&format!("<a href=\"{base}/submissions\">Newest</a>"));
    }
    if let Some(next) = page.next {
        pager.push_str(&format!(
            "<a href=\"{base}/submissions?cursor={next}\" rel=\"next\">{}</a>",
            labelled(&icons::ARROW_RIGHT, "Older submissions")
        ));
    }
    let main = format!(
        "<p class=\"crumbs\"><a href=\"{ws_base}\">{ws_name}</a> / <a href=\"{base}\">{name}</a> / Submissions</p>\
         <h1>Submissions</h1><p class=\"muted\">Visitors' personal data: export it only where it is safe, \
         delete what you no longer need.</p>\
         <p><a class=\"button quiet\" href=\"{base}/submissions.csv\" download>Download CSV</a></p>\
         {list}<nav class=\"pager\" aria-label=\"Pages\">{pager}</nav>",
        ws_base = ws_path(ws),
        ws_name = esc(&current.name),
        name = esc(display_name(&instance)),
    );
    let frame = Frame {
        signed,
        current: Some(&current),
        all: &all,
        tab: Tab::Overview,
        notice: done_notice(q.done.as_deref()),
    };
    Ok(frame.render(state, StatusCode::OK, "Submissions", &main))
}

/// The CSV export, as the API serves it (formula-escaped).
pub(crate) async fn submissions_csv(
    State(state): State<AppState>,
    signed: Signed,
    Path((ws, id)): Path<(Uuid, Uuid)>,
) -> Response {
    match subs::csv_export(&state, &signed.user, ws, id).await {
        Ok(csv) => {
            let mut response = subs::csv_response(id, csv);
            for c in &signed.cookies {
                if let Ok(v) = HeaderValue::from_str(c) {
                    response.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            response
        }
        Err(e) => or_error(&state, Err(e)),
    }
}

/// "Delete this submission?"
pub(crate) async fn confirm_delete_submission(
    State(state): State<AppState>,
    signed: Signed,
    Path((ws, id, sid)): Path<(Uuid, Uuid, Uuid)>,
) -> Response {
    let page = async {
        let (current, all) = workspace(&state, &signed.user, ws).await?;
        member_instance(&state, &signed, ws, id).await?;
        let base = format!("{}/widgets/{id}/submissions", ws_path(ws));
        Ok(Confirm {
            title: "Delete this submission?",
            what_html: "<p>The visitor's answers are deleted for good. This cannot be undone.</p>",
            action: &format!("{base}/{sid}/delete"),
            button: "Delete submission",
            back: &base,
        }
        .render(&state, &signed, (&current, &all), Tab::Overview))
    };
    or_error(&state, page.await)
}

/// Deletes one submission (owners).
pub(crate) async fn delete_submission(
    State(state): State<AppState>,
    Path((ws, id, sid)): Path<(Uuid, Uuid, Uuid)>,
    SignedForm(signed, _): SignedForm<CsrfForm>,
) -> Response {
    match subs::delete_one(&state, &signed.user, ws, id, sid).await {
        Ok(()) => signed.redirect(&format!(
            "{}/widgets/{id}/submissions?done=deleted",
            ws_path(ws)
        )),
        Err(e) => or_error(&state, Err(e)),
    }
}
