//! `GET /api/openapi.json`: the OpenAPI document generated from the handlers' annotations.

use axum::{routing::get, Json, Router};
use utoipa::{
    openapi::{
        path::{Operation, ParameterBuilder, ParameterIn},
        schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        ContentBuilder, Ref, Required, ResponseBuilder,
    },
    Modify, OpenApi, ToSchema,
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
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth, &CommonResponses),
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

/// Every error answer of the API: `{"error":{"code","message","fields"?}}`.
#[derive(ToSchema)]
#[allow(dead_code)] // only its schema is used: errors are built by `error::Error`
struct ErrorBody {
    error: ErrorDetail,
}

/// The error itself.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ErrorDetail {
    /// Stable snake_case code, e.g. `invalid_json`, `rate_limited`, `unavailable`.
    code: String,
    /// A sentence that is safe to show.
    message: String,
    /// Per-field messages (validation errors only).
    fields: Option<std::collections::BTreeMap<String, String>>,
}

/// What every operation can answer besides its own results, so the document matches the server
/// (schemathesis checks each answer against it): undeclared `{path}` parameters (uuids), 401 on
/// bearer routes, 400/404 where a path names something, 400/408/413/415/422 where a body is read,
/// 429 on rate-limited routes, 503 when the database is unavailable, and the JSON error body on
/// every error answer.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names: Vec<&str> = path
                .split('{')
                .skip(1)
                .filter_map(|s| s.split('}').next())
                .collect();
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                common_responses(path, &names, op);
            }
        }
    }
}

fn common_responses(path: &str, path_params: &[&str], op: &mut Operation) {
    let params = op.parameters.get_or_insert_with(Vec::new);
    for name in path_params {
        if !params
            .iter()
            .any(|p| p.name == *name && p.parameter_in == ParameterIn::Path)
        {
            params.push(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .description(Some(if *name == "ws" {
                        "Workspace id"
                    } else {
                        "Id of what the path names"
                    }))
                    .schema(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
                    ))
                    .build(),
            );
        }
    }
    let has_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
    if params.is_empty() {
        op.parameters = None;
    }
    let mut add = vec![];
    if op.security.is_some() {
        add.push(("401", "Not signed in, or the session has ended"));
    }
    if !path_params.is_empty() || has_query {
        add.push(("400", "A malformed path or query parameter"));
    }
    if !path_params.is_empty() {
        add.push(("404", "Not found, or not visible to the caller"));
    }
    if op.request_body.is_some() {
        add.extend([
            ("400", "Malformed JSON or a refused value"),
            (
                "408",
                "The body did not arrive in time (CK_BODY_TIMEOUT_SECS)",
            ),
            ("413", "The body is larger than the limit"),
            ("415", "The body is not JSON"),
            (
                "422",
                "The JSON does not have the expected shape, or fails validation",
            ),
        ]);
    }
    let tags = op.tags.as_deref().unwrap_or_default();
    if path.starts_with("/api/v1/auth/") || tags.iter().any(|t| t == "embed" || t == "drafts") {
        add.push(("429", "Rate limited; see Retry-After"));
    }
    if path != "/api/healthz" {
        add.push(("503", "The database is unavailable; retry later"));
    }
    for (status, description) in add {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| ResponseBuilder::new().description(description).into());
    }
    for (status, response) in op.responses.responses.iter_mut() {
        let utoipa::openapi::RefOr::T(response) = response else {
            continue;
        };
        if status.as_str() >= "400" && response.content.is_empty() {
            response.content.insert(
                "application/json".to_owned(),
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            );
        }
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
