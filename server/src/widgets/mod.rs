//! Widget types and their configs: which types exist (the `widgets` table), how a config is checked
//! (with the widget's own parser, the code the browser runs), and the config manifest the embed
//! fetches ([`http`]).

pub(crate) mod db;
pub(crate) mod http;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::{billing, error::Error, state::AppState, store::Actor};

/// Per-process cache of workspaces' plan flags for the config manifest (a field of `AppState`): a
/// page with 100 mount points asks for one workspace's flags 100 times at once, and every page
/// view again. A plan change shows within `plan_cache_ttl_ms` on every process.
#[derive(Default)]
pub(crate) struct PlanCache(Mutex<HashMap<Uuid, Flags>>);

/// When a workspace's flags were read, and the flags.
type Flags = (Instant, Arc<Vec<String>>);

impl PlanCache {
    /// Bounds memory: a full cache starts over rather than growing without limit.
    const MAX_ENTRIES: usize = 100_000;

    /// The plan flags of workspace `ws`, from the cache or the database.
    pub(crate) async fn flags(
        &self,
        state: &AppState,
        ws: Uuid,
    ) -> Result<Arc<Vec<String>>, Error> {
        let ttl = Duration::from_millis(state.config().product.plan_cache_ttl_ms);
        let previous = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ws)
            .map(|(at, flags)| (at.elapsed(), Arc::clone(flags)));
        if let Some((age, flags)) = &previous {
            if *age < ttl {
                return Ok(Arc::clone(flags));
            }
        }
        let load = async {
            let mut tx = state.db().begin(&Actor::System).await?;
            let plans = billing::db::workspace_plans(&mut tx, ws).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(plans)
        };
        // Like token lookups: a brief wait, then the last good answer while the database is
        // unavailable (stale-if-error, `CK_TOKEN_STALE_IF_ERROR_SECS`), so the manifest keeps serving.
        let product = &state.config().product;
        let error =
            match tokio::time::timeout(Duration::from_millis(product.embed_db_wait_ms), load).await
            {
                Ok(Ok(plans)) => {
                    let flags = Arc::new(billing::plans::flags_for_plans(
                        plans.iter().map(String::as_str),
                    ));
                    let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
                    if map.len() >= Self::MAX_ENTRIES {
                        map.clear();
                    }
                    map.insert(ws, (Instant::now(), Arc::clone(&flags)));
                    return Ok(flags);
                }
                Ok(Err(e)) if !crate::store::is_unavailable(&e) => return Err(e.into()),
                Ok(Err(e)) => e,
                Err(_) => sqlx::Error::PoolTimedOut,
            };
        match previous {
            Some((age, flags)) if age < Duration::from_secs(product.token_stale_if_error_secs) => {
                metrics::counter!("ck_embed_stale_if_error_total").increment(1);
                Ok(flags)
            }
            _ => Err(error.into()),
        }
    }
}

/// Whether `name` can be a widget type: 1 to 32 of `a-z`, `0-9` and `-`. Whether the type exists is
/// the `widgets` table's answer.
pub(crate) fn is_type_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Validates a widget config with the widget's own parser (the code the browser runs).
pub(crate) fn validate_config(widget: &str, config: &serde_json::Value) -> Result<(), Error> {
    if widget == "form" {
        if let Err(e) = form_config(config) {
            let mut fields = serde_json::Map::new();
            fields.insert(
                format!("config.{}", e.path),
                serde_json::Value::String(e.reason.to_string()),
            );
            return Err(Error::validation(
                format!("invalid form config at `{}`: {}", e.path, e.reason),
                fields,
            ));
        }
    } else if !config.is_object() {
        return Err(Error::bad_request(
            "invalid_config",
            "config must be a JSON object",
        ));
    }
    Ok(())
}

/// The config of `widget` as served to a page in language `tag` (the manifest's `lang`
/// parameter, the mount point's closest `lang` as the runtime spells it): for a form, that
/// language's texts (`ck_form::lang`) where the config sets none; the config's own `strings`,
/// `submit_label` and `success_message` win. `None`: serve the config as it is (English, a
/// language without a pack, not a form). The embed carries only English, so a page in another
/// language gets its texts in the manifest it fetches anyway.
pub(crate) fn localize(
    widget: &str,
    config: &serde_json::Value,
    tag: &str,
) -> Option<serde_json::Value> {
    use ck_form::lang::{entry, pack, EN, SUBMIT, SUCCESS};
    let pack = pack(tag);
    let own = config
        .as_object()
        .filter(|_| widget == "form" && pack != EN)?;
    let mut out = own.clone();
    let mut strings = match own.get("strings") {
        Some(serde_json::Value::Object(strings)) => strings.clone(),
        _ => serde_json::Map::new(),
    };
    for (index, key) in ck_form::schema::STRING_KEYS.iter().enumerate() {
        if !strings.get(*key).is_some_and(serde_json::Value::is_string) {
            strings.insert((*key).to_owned(), entry(pack, index).into());
        }
    }
    out.insert("strings".to_owned(), strings.into());
    for (key, index) in [("submit_label", SUBMIT), ("success_message", SUCCESS)] {
        // An empty label or message counts as unset: the form falls back to the default.
        if own
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            out.insert(key.to_owned(), entry(pack, index).into());
        }
    }
    Some(out.into())
}

/// A config parsed as a form's, with the form widget's own parser.
pub(crate) fn form_config(
    config: &serde_json::Value,
) -> Result<ck_form::schema::FormConfig, ck_form::schema::ConfigError> {
    ck_form::schema::FormConfig::parse(&ck_runtime::Value::from(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localize_adds_the_language_texts_the_config_lacks() {
        let config = serde_json::json!({"fields": [], "submit_label": "",
            "strings": {"required": "Mine."}});
        let fr = localize("form", &config, "fr-CA").expect("French");
        assert_eq!(fr["submit_label"], "Envoyer");
        assert_eq!(
            fr["success_message"],
            "Merci ! Votre message a bien été envoyé."
        );
        assert_eq!(fr["strings"]["required"], "Mine.");
        assert_eq!(
            fr["strings"]["too_short"],
            "Veuillez utiliser plus de caractères."
        );
        assert_eq!(fr["fields"], serde_json::json!([]));
        let own = serde_json::json!({"submit_label": "Go", "success_message": "Done"});
        assert_eq!(
            localize("form", &own, "de").expect("German")["submit_label"],
            "Go"
        );
        for (widget, tag) in [
            ("form", "en"),
            ("form", "ja"),
            ("form", ""),
            ("announcement", "fr"),
        ] {
            assert_eq!(localize(widget, &config, tag), None, "{widget} {tag}");
        }
        assert_eq!(localize("form", &serde_json::json!([1]), "fr"), None);
    }

    #[test]
    fn type_names() {
        for good in ["form", "nps-2", "a"] {
            assert!(is_type_name(good), "{good}");
        }
        for bad in ["", "Form", "form!", "a b", &"x".repeat(33)] {
            assert!(!is_type_name(bad), "{bad}");
        }
    }
}
