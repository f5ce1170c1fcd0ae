//! Workspace pages: the home redirect, the switcher, the overview (7-day usage and widgets),
//! settings (rename, create, delete) and billing.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{Redirect, Response},
};
use ck_icons::icons;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    chart::{self, Series},
    csrf_field, done_notice, esc, labelled, or_error, workspace, ws_path, Frame, Notice, Signed,
    SignedForm, Tab,
};
use crate::{
    billing,
    error::Error,
    state::AppState,
    store::Ts,
    usage,
    workspaces::{self, Instance, Workspace},
};

super::csrf_forms!(NameForm, ConfirmForm);

/// `?done=…` after a redirect.
#[derive(Deserialize, Default)]
pub(crate) struct Done {
    #[serde(default)]
    pub(crate) done: Option<String>,
}

/// `/app`: the first workspace, or (none left) a page to create one.
pub(crate) async fn home(
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<Done>,
) -> Response {
    or_error(&state, home_page(&state, signed, q.done.as_deref()).await)
}

async fn home_page(
    state: &AppState,
    signed: Signed,
    done: Option<&str>,
) -> Result<Response, Error> {
    let mut tx = state.db().begin(&signed.user.actor()).await?;
    let all = workspaces::db::list(&mut tx, signed.user.id).await?;
    tx.commit().await?;
    if let Some(first) = all.first() {
        let to = match done {
            Some(d) => format!("{}?done={}", ws_path(first.id), esc(d)),
            None => ws_path(first.id),
        };
        return Ok(signed.redirect(&to));
    }
    let frame = Frame {
        signed: &signed,
        current: None,
        all: &all,
        tab: Tab::Overview,
        notice: done_notice(done),
    };
    let main = format!(
        "<h1>Create a workspace</h1><section class=\"card\"><p>A workspace holds your widgets, their \
         embed tokens, usage and submissions. You have none yet.</p>{}</section>",
        create_form(&signed.csrf, "")
    );
    Ok(frame.render(state, StatusCode::OK, "Create a workspace", &main))
}

fn create_form(csrf: &str, typed: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/app/workspaces\">{}\
         <label>Workspace name<input name=\"name\" required maxlength=\"120\" value=\"{}\"></label>\
         <button type=\"submit\">{}</button></form>",
        csrf_field(csrf),
        esc(typed),
        labelled(&icons::PLUS, "Create workspace")
    )
}

/// The switcher's query.
#[derive(Deserialize)]
pub(crate) struct SwitchQuery {
    ws: Uuid,
}

/// `/app/switch?ws=…` (the switcher's plain GET form): to that workspace's overview.
pub(crate) async fn switch(Query(q): Query<SwitchQuery>) -> Redirect {
    Redirect::to(&ws_path(q.ws))
}

/// A form with a name.
#[derive(Deserialize)]
pub(crate) struct NameForm {
    csrf: String,
    name: String,
}

/// Creates a workspace (the caller becomes its Owner) and opens it.
pub(crate) async fn create_workspace(
    State(state): State<AppState>,
    SignedForm(signed, form): SignedForm<NameForm>,
) -> Response {
    let created = async {
        let name = workspaces::valid_name(&form.name, "invalid_workspace_name")?;
        let id = Uuid::new_v4();
        let mut tx = state.db().begin(&signed.user.actor()).await?;
        workspaces::db::create(&mut tx, id, name, signed.user.id, Ts::now()).await?;
        tx.commit().await?;
        Ok::<_, Error>(id)
    };
    match created.await {
        Ok(id) => signed.redirect(&format!("{}?done=created", ws_path(id))),
        Err(e) => or_error(
            &state,
            settings_page(
                &state,
                &signed,
                None,
                Some(Notice::of(&e)),
                ("", &form.name),
            )
            .await,
        ),
    }
}

/// The overview of a workspace: the last 7 days and its widgets.
pub(crate) async fn overview(
    State(state): State<AppState>,
    signed: Signed,
    Path(ws): Path<Uuid>,
    Query(q): Query<Done>,
) -> Response {
    or_error(
        &state,
        overview_page(&state, &signed, ws, q.done.as_deref()).await,
    )
}

async fn overview_page(
    state: &AppState,
    signed: &Signed,
    ws: Uuid,
    done: Option<&str>,
) -> Result<Response, Error> {
    let (current, all) = workspace(state, &signed.user, ws).await?;
    let report = usage::report(state, &signed.user, ws, None).await?;
    let mut tx = state.db().begin(&signed.user.actor()).await?;
    let instances = workspaces::db::instances(&mut tx, signed.user.id, ws).await?;
    tx.commit().await?;
    let flush_secs = state.config().product.usage_flush_ms.div_ceil(1000);
    let usage_html = chart::render(
        &report,
        &[Series::Loads, Series::Views, Series::Interactions],
        "Workspace usage, last 7 days",
        "ws-usage",
    );
    let widgets_html = if instances.is_empty() {
        "<div class=\"empty\"><p><strong>No widgets yet.</strong> Build a form in the builder, \
         then claim it into this workspace; or create one from the API.</p>\
         <p><a class=\"button\" href=\"/\">Build a form</a></p></div>"
            .to_owned()
    } else {
        let rows: String = instances
            .iter()
            .map(|i| widget_row(ws, i, &report))
            .collect();
        format!(
            "<div class=\"table-wrap\"><table class=\"data widgets\"><caption class=\"sr-only\">Widgets</caption>\
             <thead><tr><th scope=\"col\">Widget</th><th scope=\"col\">Status</th><th scope=\"col\">Views</th>\
             <th scope=\"col\">Interactions</th><th scope=\"col\">Errors</th></tr></thead><tbody>{rows}</tbody></table></div>\
             <p class=\"muted\">Totals over the last 7 days. <a href=\"/\">Build another form</a></p>"
        )
    };
    let main = format!(
        "<h1>{}</h1><section aria-labelledby=\"usage-h\"><h2 id=\"usage-h\">Last 7 days</h2>\
         <p class=\"muted\">Loads are counted per page that loads the embed; views, interactions and errors \
         per widget. Today's counts appear within {flush_secs} s.</p>{usage_html}</section>\
         <section aria-labelledby=\"widgets-h\"><h2 id=\"widgets-h\">Widgets</h2>{widgets_html}</section>",
        esc(&current.name)
    );
    let frame = Frame {
        signed,
        current: Some(&current),
        all: &all,
        tab: Tab::Overview,
        notice: done_notice(done),
    };
    Ok(frame.render(state, StatusCode::OK, &current.name, &main))
}

/// A widget's name as shown: its own, else its config's title, else its type.
pub(crate) fn display_name(i: &Instance) -> &str {
    let title = i
        .config
        .0
        .get("title")
        .and_then(|t| t.as_str())
        .map(str::trim);
    match (i.name.trim(), title) {
        ("", Some(t)) if !t.is_empty() => t,
        ("", _) => &i.widget_id,
        (name, _) => name,
    }
}

fn widget_row(ws: Uuid, i: &Instance, report: &usage::Report) -> String {
    let totals = report.widgets.iter().find(|w| w.instance_id == i.id);
    let n = |f: fn(&usage::db::WidgetTotals) -> i64| totals.map_or(0, f);
    format!(
        "<tr><th scope=\"row\"><a href=\"{}/widgets/{}\">{}</a> <span class=\"muted\">{}</span></th>\
         <td><span class=\"badge {}\">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ws_path(ws),
        i.id,
        esc(display_name(i)),
        esc(&i.widget_id),
        esc(&i.status),
        esc(&i.status),
        n(|w| w.views),
        n(|w| w.interactions),
        n(|w| w.errors),
    )
}

/// Workspace settings: rename, delete (typing its name), create another.
pub(crate) async fn settings(
    State(state): State<AppState>,
    signed: Signed,
    Path(ws): Path<Uuid>,
    Query(q): Query<Done>,
) -> Response {
    let notice = done_notice(q.done.as_deref());
    or_error(
        &state,
        settings_page(&state, &signed, Some(ws), notice, ("", "")).await,
    )
}

/// The settings page of `ws` (or, without one, of the first workspace); `typed` keeps what was
/// typed into the (rename, create) forms after an error.
async fn settings_page(
    state: &AppState,
    signed: &Signed,
    ws: Option<Uuid>,
    notice: Option<Notice>,
    typed: (&str, &str),
) -> Result<Response, Error> {
    let mut tx = state.db().begin(&signed.user.actor()).await?;
    let all = workspaces::db::list(&mut tx, signed.user.id).await?;
    tx.commit().await?;
    let current = match ws {
        Some(id) => Some(
            all.iter()
                .find(|w| w.id == id)
                .cloned()
                .ok_or_else(|| Error::not_found("workspace"))?,
        ),
        None => all.first().cloned(),
    };
    let csrf = &signed.csrf;
    let mut main = String::from("<h1>Workspace settings</h1>");
    if let Some(ws) = &current {
        main.push_str(&owner_settings(ws, csrf, typed.0));
    }
    main.push_str(&format!(
        "<section class=\"card\" aria-labelledby=\"new-h\"><h2 id=\"new-h\">Create another workspace</h2>{}</section>",
        create_form(csrf, typed.1)
    ));
    let frame = Frame {
        signed,
        current: current.as_ref(),
        all: &all,
        tab: Tab::Settings,
        notice,
    };
    let status = match &frame.notice {
        Some(Notice::Error(_)) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    Ok(frame.render(state, status, "Workspace settings", &main))
}

fn owner_settings(ws: &Workspace, csrf: &str, typed_name: &str) -> String {
    if ws.role != "owner" {
        return format!(
            "<section class=\"card\"><p>You are a {} of <strong>{}</strong>; only its owners can rename or delete it.</p></section>",
            esc(&ws.role),
            esc(&ws.name)
        );
    }
    let name = if typed_name.is_empty() {
        &ws.name
    } else {
        typed_name
    };
    format!(
        "<section class=\"card\" aria-labelledby=\"rename-h\"><h2 id=\"rename-h\">Name</h2>\
         <form method=\"post\" action=\"{base}/rename\">{csrf}\
         <label>Workspace name<input name=\"name\" required maxlength=\"120\" value=\"{name}\"></label>\
         <button type=\"submit\">Save name</button></form></section>\
         <section class=\"card danger-zone\" aria-labelledby=\"delete-h\"><h2 id=\"delete-h\">Delete this workspace</h2>\
         <p>Deleting <strong>{ws_name}</strong> deletes its widgets, their embed tokens (embeds stop working), \
         their usage and <strong>every submission visitors made</strong>. This cannot be undone.</p>\
         <form method=\"post\" action=\"{base}/delete\">{csrf}\
         <label>Type the workspace name to confirm<input name=\"confirm\" required autocomplete=\"off\"></label>\
         <button type=\"submit\" class=\"danger\">{trash}</button></form></section>",
        base = ws_path(ws.id),
        csrf = csrf_field(csrf),
        name = esc(name),
        ws_name = esc(&ws.name),
        trash = labelled(&icons::TRASH, "Delete workspace and its submissions"),
    )
}

/// Renames a workspace (owners).
pub(crate) async fn rename(
    State(state): State<AppState>,
    Path(ws): Path<Uuid>,
    SignedForm(signed, form): SignedForm<NameForm>,
) -> Response {
    let renamed = async {
        let name = workspaces::valid_name(&form.name, "invalid_workspace_name")?;
        let mut tx = state.db().begin(&signed.user.actor()).await?;
        if !workspaces::db::rename(&mut tx, signed.user.id, ws, name).await? {
            return Err(Error::not_found("workspace"));
        }
        tx.commit().await?;
        Ok(())
    };
    match renamed.await {
        Ok(()) => signed.redirect(&format!("{}/settings?done=renamed", ws_path(ws))),
        Err(e) => or_error(
            &state,
            settings_page(
                &state,
                &signed,
                Some(ws),
                Some(Notice::of(&e)),
                (&form.name, ""),
            )
            .await,
        ),
    }
}

/// The delete form: the name typed again.
#[derive(Deserialize)]
pub(crate) struct ConfirmForm {
    csrf: String,
    confirm: String,
}

/// Deletes a workspace (owners) once its name was typed.
pub(crate) async fn delete_workspace(
    State(state): State<AppState>,
    Path(ws): Path<Uuid>,
    SignedForm(signed, form): SignedForm<ConfirmForm>,
) -> Response {
    match workspaces::delete_workspace(&state, &signed.user, ws, &form.confirm).await {
        Ok(()) => signed.redirect("/app?done=workspace_deleted"),
        Err(e) => or_error(
            &state,
            settings_page(&state, &signed, Some(ws), Some(Notice::of(&e)), ("", "")).await,
        ),
    }
}

/// Billing: the plan and flags mirrored from Stripe, or "not enabled".
pub(crate) async fn billing(
    State(state): State<AppState>,
    signed: Signed,
    Path(ws): Path<Uuid>,
) -> Response {
    or_error(&state, billing_page(&state, &signed, ws).await)
}

async fn billing_page(state: &AppState, signed: &Signed, ws: Uuid) -> Result<Response, Error> {
    let (current, all) = workspace(state, &signed.user, ws).await?;
    let main = if state.config().stripe_webhook_secrets.is_empty() {
        "<h1>Billing</h1><section class=\"card\"><p><strong>Billing is not enabled</strong> on this \
         server. Every widget works without a plan; plan features stay off.</p></section>"
            .to_owned()
    } else {
        let mut tx = state.db().begin(&signed.user.actor()).await?;
        let subs = billing::db::member_subscriptions(&mut tx, signed.user.id, ws).await?;
        tx.commit().await?;
        let granting: Vec<&str> = subs
            .iter()
            .filter(|s| billing::plans::grants_flags(&s.status))
            .filter_map(|s| s.plan.as_deref())
            .collect();
        let flags = billing::plans::flags_for_plans(granting.iter().copied());
        let plan = if granting.is_empty() {
            "Free".to_owned()
        } else {
            granting.join(", ")
        };
        let flags_html = if flags.is_empty() {
            "<p class=\"muted\">No plan features are on.</p>".to_owned()
        } else {
            let items: String = flags
                .iter()
                .map(|f| format!("<li><code>{}</code></li>", esc(f)))
                .collect();
            format!("<ul class=\"chips\">{items}</ul>")
        };
        let rows: String = subs
            .iter()
            .map(|s| {
                format!(
                    "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(s.plan.as_deref().unwrap_or("—")),
                    esc(&s.status),
                    s.current_period_end
                        .map(super::when)
                        .unwrap_or_else(|| "—".into()),
                    if s.cancel_at_period_end { "yes" } else { "no" }
                )
            })
            .collect();
        let table = if subs.is_empty() {
            "<p class=\"muted\">No Stripe subscription is linked to this workspace yet.</p>"
                .to_owned()
        } else {
            format!(
                "<div class=\"table-wrap\"><table class=\"data\"><caption>Subscriptions mirrored from Stripe</caption>\
                 <thead><tr><th scope=\"col\">Plan</th><th scope=\"col\">Status</th><th scope=\"col\">Period ends</th>\
                 <th scope=\"col\">Cancels at period end</th></tr></thead><tbody>{rows}</tbody></table></div>"
            )
        };
        format!(
            "<h1>Billing</h1><section class=\"card\"><p>Plan: <strong>{}</strong></p>\
             <h2>Features on</h2>{flags_html}</section><section class=\"card\">{table}</section>",
            esc(&plan)
        )
    };
    let frame = Frame {
        signed,
        current: Some(&current),
        all: &all,
        tab: Tab::Billing,
        notice: None,
    };
    Ok(frame.render(state, StatusCode::OK, "Billing", &main))
}
