//! Stripe plan → per-workspace feature flags returned by the config manifest.
//!
//! Subscriptions in status `active`, `trialing` or `past_due` grant their plan's flags (`past_due`
//! keeps them while Stripe retries the payment; its dunning decides when the subscription ends).

/// The flags a plan turns on. Unknown plans grant nothing rather than guessing.
pub(crate) fn flags_for(plan: &str) -> &'static [&'static str] {
    match plan {
        "pro" => &["pro", "remove_branding", "custom_css"],
        "business" => &[
            "business",
            "pro",
            "remove_branding",
            "custom_css",
            "priority_support",
        ],
        _ => &[],
    }
}

/// Whether a subscription in `status` grants its plan's flags (the statuses `workspace_plans`
/// selects).
pub(crate) fn grants_flags(status: &str) -> bool {
    matches!(status, "active" | "trialing" | "past_due")
}

/// Union of the flags of several plans, sorted and deduplicated (stable ETags).
pub(crate) fn flags_for_plans<'a>(plans: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut flags: Vec<String> = plans
        .into_iter()
        .flat_map(|p| flags_for(p).iter().map(|f| (*f).to_owned()))
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_map_to_sorted_unique_flags() {
        assert!(flags_for("free").is_empty());
        assert_eq!(flags_for_plans(["pro", "business"]).len(), 5);
        assert_eq!(
            flags_for_plans(["pro"]),
            ["custom_css", "pro", "remove_branding"]
        );
    }
}
