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
        super::health::healthz,
        super::auth::signup,
        super::auth::login,
        super::auth::refresh,
        super::auth::logout,
        super::auth::magic_link,
        super::auth::magic_link_verify,
        super::auth::user,
        super::workspaces::list,
        super::workspaces::create,
        super::workspaces::show,
        super::workspaces::instances,
        super::workspaces::rename,
        super::workspaces::create_instance,
        super::workspaces::show_instance,
        super::workspaces::rename_instance,
        super::workspaces::delete_instance,
        super::tokens::list,
        super::tokens::show,
        super::tokens::issue,
        super::tokens::rotate,
        super::tokens::revoke,
        super::drafts::create,
        super::claims::claim,
        super::events::daily,
        super::events::ingest,
        super::submissions::submit,
        super::submissions::list,
        super::submissions::export_csv,
        super::stripe::webhook,
        super::errors::report,
        super::widgets::config,
    ),
    modifiers(&BearerAuth),
    tags((name = "ops"), (name = "auth"), (name = "workspaces"), (name = "tokens"), (name = "drafts"), (name = "usage"), (name = "embed"))
)]
struct CoreApi;

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
    }
}

/// The full document: core routes plus those other route modules describe.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    CoreApi::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(|| async { Json(document()) }))
}
