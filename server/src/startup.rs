//! What the server checks and says when it starts: production guardrails (refusals and loud
//! warnings an operator can act on) and the one-block startup summary.

use std::{collections::HashSet, path::Path};

use crate::{
    config::{Config, Env},
    state::AppState,
    store::{Db, Dialect},
};

/// Estimated strength a production `JWT_SECRET` must reach (bits).
const MIN_SECRET_BITS: f64 = 128.0;

/// Refuses what is unsafe in production beyond `Config::check_production`: a weak `JWT_SECRET`
/// (low estimated entropy, not just short) and an embed folder without a release (publishers'
/// `loader.js` would 404). Elsewhere these are warnings.
pub(crate) fn check(config: &Config) -> anyhow::Result<()> {
    let production = config.env == Env::Production;
    if let Some(secret) = &config.jwt_secret {
        let bits = estimated_secret_bits(secret);
        if bits < MIN_SECRET_BITS {
            let message = format!(
                "JWT_SECRET is too weak (estimated {bits:.0} bits of entropy, at least \
                 {MIN_SECRET_BITS:.0} needed: repeated characters, runs and sequences count for \
                 little); generate one with `openssl rand -base64 48`"
            );
            if production {
                anyhow::bail!(message);
            }
            tracing::debug!("{message}");
        }
    }
    if embed_versions(&config.dist_dir).is_empty() {
        let dir = std::path::absolute(&config.dist_dir).unwrap_or_else(|_| config.dist_dir.clone());
        let message = format!(
            "no embed release in {}: expected embed/v{{semver}}/loader.js (build it with `cargo \
             xtask dist`; set CK_DIST_DIR or run from the folder that holds dist/); \
             /embed/latest/loader.js would answer 404",
            dir.display()
        );
        if production {
            anyhow::bail!(message);
        }
        tracing::warn!("{message}");
    }
    Ok(())
}

/// Loud warnings about choices that are allowed but often wrong.
pub(crate) fn warn(config: &Config) {
    let deployed = config.env != Env::Development;
    if deployed && Dialect::of_url(&config.database_url).ok() == Some(Dialect::Sqlite) {
        tracing::warn!(
            env = config.env.as_str(),
            "SQLite store outside development: a single-node choice (one process, one machine, \
             backups are file copies); run several processes or fail over with Postgres \
             (DATABASE_URL=postgres://…)"
        );
    }
    if config.host.is_unspecified() {
        tracing::warn!(
            host = %config.host,
            "listening on all interfaces: make sure only the reverse proxy can reach this port \
             and that /metrics is not public (bind 127.0.0.1 behind a local proxy)"
        );
    }
    if config.env == Env::Preview && config.jwt_secret.is_none() {
        tracing::warn!(
            "APP_ENV=preview without JWT_SECRET: each process signs sessions with its own random \
             secret, so with several processes (or after a restart) they refuse each other's \
             sessions and users are signed out at random; set one shared JWT_SECRET"
        );
    }
}

/// Estimates a secret's entropy in bits: the per-character Shannon entropy of its characters times
/// the number of independent pieces, where a repeat of something seen before (3 characters or more)
/// and a run or sequence (`aaaa`, `abcd`, `4321`) count as one piece. Random secrets score close to
/// their real strength; `aaaa…`, `abcabc…` or `password-password-…` score low however long.
pub(crate) fn estimated_secret_bits(secret: &str) -> f64 {
    let chars: Vec<char> = secret.chars().take(512).collect();
    if chars.is_empty() {
        return 0.0;
    }
    let n = chars.len() as f64;
    let mut counts = std::collections::HashMap::new();
    for c in &chars {
        *counts.entry(*c).or_insert(0u32) += 1;
    }
    let per_char: f64 = counts
        .values()
        .map(|&k| {
            let p = f64::from(k) / n;
            -p * p.log2()
        })
        .sum();
    let mut pieces = 0usize;
    let mut i = 0;
    while i < chars.len() {
        pieces += 1;
        let repeat = (0..i)
            .map(|start| {
                (0..chars.len() - i)
                    .take_while(|&k| start + k < i + k && chars[start + k] == chars[i + k])
                    .count()
            })
            .max()
            .unwrap_or(0);
        let step = |k: usize| chars[k + 1] as i64 - chars[k] as i64;
        let mut run = 1;
        if i + 1 < chars.len() && step(i).abs() <= 1 {
            let d = step(i);
            while i + run < chars.len() && step(i + run - 1) == d {
                run += 1;
            }
        }
        let skip = if repeat >= 3 { repeat } else { 1 };
        i += if run >= 3 { skip.max(run) } else { skip };
    }
    per_char * pieces as f64
}

/// The `v{semver}` folders under `dist/embed` that hold a `loader.js`, sorted.
pub(crate) fn embed_versions(dist_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dist_dir.join("embed")) else {
        return Vec::new();
    };
    let mut versions: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join("loader.js").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| {
            name.strip_prefix('v')
                .and_then(crate::assets::Version::parse)
                .is_some()
        })
        .collect();
    versions.sort();
    versions
}

/// Logs the startup summary: one event with every fact an operator checks first (structured
/// fields, so one JSON object in JSON mode).
pub(crate) async fn summary(state: &AppState) {
    let config = state.config();
    let db = state.db();
    let role = match db {
        Db::Postgres(pool) => sqlx::query_scalar::<_, String>("select current_user::text")
            .fetch_one(pool)
            .await
            .unwrap_or_else(|e| format!("unknown ({e})")),
        Db::Sqlite { .. } => "-".into(),
    };
    let migrations = crate::store::migrations(db.dialect());
    let latest = migrations
        .last()
        .map(|(v, d)| format!("{v:04}_{d}"))
        .unwrap_or_default();
    let integrations: Vec<&str> = [
        (config.smtp_url.is_some(), "smtp"),
        (!config.stripe_webhook_secrets.is_empty(), "stripe-webhooks"),
        (
            config.sentry_dsn.is_some() && cfg!(feature = "sentry"),
            "sentry",
        ),
        (config.posthog_key.is_some(), "posthog"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    let embed = embed_versions(&config.dist_dir);
    let distinct: HashSet<&String> = embed.iter().collect();
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        sha = %crate::health::http::sha(config),
        env = config.env.as_str(),
        store = %db.target(),
        role = %role,
        migrations = migrations.len(),
        latest_migration = %latest,
        embed_versions = %embed.join(","),
        embed_count = distinct.len(),
        dist_dir = %config.dist_dir.display(),
        listen = %state.local_addr(),
        public_url = %state.public_url(),
        integrations = %if integrations.is_empty() { "none".to_owned() } else { integrations.join(",") },
        "startup summary"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_secrets_score_low_however_long() {
        let weak = [
            "a".repeat(32),
            "a".repeat(200),
            "abc".repeat(20),
            "abcdefghijklmnopqrstuvwxyz0123456789".into(),
            "test-secret-test-secret-test-secret-000".into(),
            "password1password1password1password1".into(),
        ];
        for s in weak {
            let bits = estimated_secret_bits(&s);
            assert!(bits < MIN_SECRET_BITS, "{s}: {bits}");
        }
    }

    #[test]
    fn random_secrets_pass() {
        use base64::Engine as _;
        for _ in 0..50 {
            let mut bytes = [0u8; 48];
            getrandom::getrandom(&mut bytes).expect("random");
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            assert!(estimated_secret_bits(&b64) >= MIN_SECRET_BITS, "{b64}");
            let hex = hex::encode(&bytes[..32]);
            assert!(estimated_secret_bits(&hex) >= MIN_SECRET_BITS, "{hex}");
        }
    }
}
