//! Workspaces, their members and their widget instances. Membership decides every tenant read and
//! write: the checks (`db::is_member`, `db::is_owner`) live here and every other domain asks them.
//!
//! Tables: `workspaces`, `workspace_members`, `widget_instances` (drafts and claims move instances
//! in and out of workspaces; see `drafts`).

pub(crate) mod db;
pub(crate) mod http;

use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{error::Error, store::Ts};

/// Longest workspace or instance name, in characters.
pub(crate) const MAX_NAME: usize = 120;

/// A workspace as its member sees it.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub(crate) struct Workspace {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    /// The caller's role in it.
    pub(crate) role: String,
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: Ts,
}

// The one row type of `widget_instances`, for members and the embed alike. `workspace_id` is `None`
// while the instance is an unclaimed draft; `status` is `active`, `draft` or `archived`.
/// A widget instance as a member sees it.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub(crate) struct Instance {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Option<Uuid>,
    pub(crate) widget_id: String,
    pub(crate) name: String,
    pub(crate) status: String,
    #[schema(value_type = Object)]
    pub(crate) config: Json<serde_json::Value>,
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: Ts,
    // When an unclaimed draft expires; not part of the API.
    #[serde(skip)]
    pub(crate) draft_expires_at: Option<Ts>,
}

impl Instance {
    /// Servable: not archived, and not an expired draft.
    pub(crate) fn live(&self, now: Ts) -> bool {
        match self.status.as_str() {
            "active" => true,
            "draft" => self.draft_expires_at.is_some_and(|t| t > now),
            _ => false,
        }
    }
}

/// A widget instance to create.
pub(crate) struct NewInstance<'a> {
    pub(crate) id: Uuid,
    pub(crate) widget: &'a str,
    pub(crate) name: &'a str,
    pub(crate) config: &'a serde_json::Value,
}

/// A trimmed name of 1 to [`MAX_NAME`] characters, or 400 with `code`.
pub(crate) fn valid_name<'a>(name: &'a str, code: &'static str) -> Result<&'a str, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(Error::bad_request(
            code,
            "name must have 1 to 120 characters",
        ));
    }
    // Found by schemathesis: a NUL made Postgres refuse the text (a 500); no control character
    // belongs in a name.
    if name.chars().any(char::is_control) {
        return Err(Error::bad_request(
            code,
            "name must not contain control characters",
        ));
    }
    Ok(name)
}
