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

use crate::{error::Error, state::AppState, store::Ts, users::AuthUser};

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

/// Replaces the config of an instance the caller owns, after checking it with the widget's own
/// parser (422 with the field path when it does not parse). The embed sees it on its next
/// manifest request from this process at once, from others within the token cache TTL.
pub(crate) async fn update_config(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    config: &serde_json::Value,
) -> Result<Instance, Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let current = db::instance(&mut tx, id, Some(user.id))
        .await?
        .ok_or_else(|| Error::not_found("instance"))?;
    crate::widgets::validate_config(&current.widget_id, config)?;
    if !db::update_instance_config(&mut tx, user.id, id, config, Ts::now()).await? {
        return Err(Error::not_found("instance"));
    }
    let updated = db::instance(&mut tx, id, Some(user.id))
        .await?
        .ok_or_else(|| Error::not_found("instance"))?;
    tx.commit().await?;
    state.token_cache().forget_instance(id);
    Ok(updated)
}

/// Checks a deletion's confirmation: the caller typed `expected` (a name or an address).
pub(crate) fn check_confirmation(given: &str, expected: &str, what: &str) -> Result<(), Error> {
    if given.trim() == expected.trim() {
        Ok(())
    } else {
        Err(Error::bad_request(
            "confirmation_mismatch",
            format!("type the {what} exactly to confirm the deletion"),
        ))
    }
}

/// Deletes a workspace the caller owns once `confirm` equals its name: its widgets, embed tokens
/// (refused from then on, like a revocation), usage and visitors' submissions go with it.
pub(crate) async fn delete_workspace(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    confirm: &str,
) -> Result<(), Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let ws = db::get(&mut tx, user.id, id)
        .await?
        .filter(|w| w.role == "owner")
        .ok_or_else(|| Error::not_found("workspace"))?;
    check_confirmation(confirm, &ws.name, "workspace name")?;
    let tokens = delete_owned(&mut tx, user, id).await?;
    tx.commit().await?;
    forget_tokens(state, &tokens);
    Ok(())
}

/// Deletes workspace `id` in `tx` (the caller must own it) and announces its tokens as revoked;
/// returns the token ids for [`forget_tokens`] after the commit.
pub(crate) async fn delete_owned(
    tx: &mut crate::store::Tx,
    user: &AuthUser,
    id: Uuid,
) -> Result<Vec<Uuid>, Error> {
    let tokens = db::token_ids(tx, user.id, Some(id), None).await?;
    if !db::delete(tx, user.id, id).await? {
        return Err(Error::not_found("workspace"));
    }
    for token in &tokens {
        crate::tokens::verify::announce_revocation(tx, *token).await?;
    }
    Ok(tokens)
}

/// Forgets deleted tokens in this process's cache (others hear the announcement).
pub(crate) fn forget_tokens(state: &AppState, tokens: &[Uuid]) {
    for token in tokens {
        state.token_cache().forget_token(*token);
    }
}

/// Deletes an instance the caller owns, with (by cascade) its widget-scoped tokens (refused from
/// then on), usage and visitors' submissions.
pub(crate) async fn delete_instance(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
) -> Result<(), Error> {
    let mut tx = state.db().begin(&user.actor()).await?;
    let tokens = db::token_ids(&mut tx, user.id, None, Some(id)).await?;
    if !db::delete_instance(&mut tx, user.id, id).await? {
        return Err(Error::not_found("instance"));
    }
    for token in &tokens {
        crate::tokens::verify::announce_revocation(&mut tx, *token).await?;
    }
    tx.commit().await?;
    forget_tokens(state, &tokens);
    state.token_cache().forget_instance(id);
    Ok(())
}
