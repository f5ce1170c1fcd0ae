//! `GET /api/openapi.json`: the OpenAPI document generated from the handlers' annotations.

use axum::{routing::get, Json, Router};
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Clickeen API", description = "Embed assets, auth, workspaces, embed tokens, usage, drafts and claims."),
    paths(
        crate::health::http::healthz,
        crate::users::http::signup,
        crate::users::http::login,
        crate::users::http::refresh,
        crate::users::http::logout,
        crate::users::http::magic_link,
        crate::users::http::magic_link_verify,
        crate::users::http::user,
        crate::users::http::change_password,
        crate::users::http::change_email,
        crate::users::http::delete_account,
        crate::workspaces::http::list,
        crate::workspaces::http::create,
        crate::workspaces::http::show,
        crate::workspaces::http::instances,
        crate::workspaces::http::rename,
        crate::workspaces::http::create_instance,
        crate::workspaces::http::show_instance,
        crate::workspaces::http::rename_instance,
        crate::workspaces::http::delete_instance,
        crate::workspaces::http::update_config,
        crate::workspaces::http::delete_workspace,
        crate::tokens::http::list,
        crate::tokens::http::show,
        crate::tokens::http::issue,
        crate::tokens::http::rotate,
        crate::tokens::http::revoke,
        crate::tokens::http::update,
        crate::drafts::http::create,
        crate::drafts::http::claim,
        crate::drafts::http::read,
        crate::drafts::http::update,
        crate::usage::http::daily,
        crate::usage::http::last_7_days,
        crate::usage::http::ingest,
        crate::submissions::http::submit,
        crate::submissions::http::list,
        crate::submissions::http::export_csv,
        crate::submissions::http::remove,
        crate::billing::http::webhook,
        crate::client_errors::http::report,
        crate::widgets::http::config,
        crate::webhooks::http::list,
        crate::webhooks::http::show,
        crate::webhooks::http::create,
        crate::webhooks::http::update,
        crate::webhooks::http::delete,
        crate::outbox::http::list,
        crate::outbox::http::show,
        crate::outbox::http::redeliver,
        crate::notifications::http::show,
        crate::notifications::http::update,
    ),
    modifiers(&BearerAuth),
    tags((name = "ops"), (name = "auth"), (name = "workspaces"), (name = "tokens"), (name = "drafts"), (name = "usage"), (name = "embed"), (name = "webhooks"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "draft_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("ck_draft_…")
                    .build(),
            ),
        );
    }
}

/// The full document: every documented route of every domain.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Routes of this module, merged by `http::router`.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(|| async { Json(document()) }))
}
