//! A 5-star rating (`data-ck-widget="rating"`), made with `cargo xtask new-widget rating` and the
//! SDK alone: a radio group of five stars (one tab stop; arrows, Home and End move and choose,
//! Enter and Space choose the focused star, a click chooses), a live region that confirms the
//! choice, `rating:chosen` on the page bus and an interaction metric per choice.
//!
//! ```html
//! <div data-ck-widget="rating" data-ck-config='{"label":"How was your visit?"}'></div>
//! ```
//!
//! Config: `label` (1-120 characters, default "How would you rate this?"), `value` (a star
//! already chosen, 1-5), `thanks` (the confirmation, ≤ 120 characters; default "Thanks! You
//! chose N of 5 stars."). Event: `rating:chosen`, detail `{id, widget, element, value}`.

use std::rc::Rc;

use ck_runtime::dom::{self, Listener};
use ck_runtime::keys::RadioGroup;
use ck_runtime::wasm_bindgen::JsValue;
use ck_runtime::web_sys::Element;
use ck_runtime::{fmt, ConfigError, Instance, MountCtx, Value, Widget};

// `mod icons`: this crate's icons/ folder (`[package.metadata.ck] icons` in Cargo.toml).
ck_icons::include_icons!();

/// How many stars.
pub const STARS: usize = 5;

/// Each star's accessible name (no `format!` in the wasm).
const STAR_NAMES: [&str; STARS] = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"];

/// The widget type, registered in `bindings/src/lib.rs`.
pub struct Rating;

/// The parsed config.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The group's visible label (its accessible name too).
    pub label: String,
    /// The star chosen at mount, 1-5.
    pub value: Option<u32>,
    /// What the live region says after a choice; `None`: "Thanks! You chose N of 5 stars."
    pub thanks: Option<String>,
}

/// What a mounted rating keeps alive: the group's key listener and one click listener per star.
pub struct Mounted {
    _listeners: Vec<Listener>,
}

/// `src/widget.css` and only the dieter tokens it reads (build.rs).
const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.css"));
const THEME: &str = include_str!(concat!(env!("OUT_DIR"), "/widget_theme.css"));

impl Widget for Rating {
    const TYPE: &'static str = "rating";
    type Config = Config;
    type Mounted = Mounted;

    fn styles() -> &'static [&'static str] {
        &[THEME, CSS]
    }

    fn parse_config(config: &Value) -> Result<Config, ConfigError> {
        parse(config)
    }

    fn mount(ctx: MountCtx<Config>) -> Result<Mounted, JsValue> {
        let (config, instance) = ctx.into_parts();
        let card = dom::add(instance.root(), "div", "class=r");
        dom::add_text(&card, "p", "class=l id=l", &config.label);
        let group = dom::add(&card, "div", "class=g role=radiogroup aria-labelledby=l");
        let mut stars = Vec::with_capacity(STARS);
        for name in STAR_NAMES {
            let star = dom::add(&group, "span", "class=s role=radio");
            dom::set(&star, "aria-label", name);
            dom::put(&star, &dom::icon(&icons::STAR, None)?);
            stars.push(star);
        }
        // In the DOM from the first render, so screen readers announce what is put in later.
        let status = dom::add(&card, "p", "class=t role=status");
        let checked = config.value.map(|v| v as usize - 1);
        let state = Rc::new(State {
            radios: RadioGroup::new(stars, checked),
            instance,
            status,
            thanks: config.thanks,
        });
        state.fill();

        let mut listeners = Vec::with_capacity(STARS + 1);
        let s = state.clone();
        listeners.push(dom::listen(&group, "keydown", move |event| {
            if let Some(index) = s.radios.on_key(&event) {
                s.chosen(index);
            }
        })?);
        for (index, star) in state.radios.items().iter().enumerate() {
            let s = state.clone();
            listeners.push(dom::listen(star, "click", move |_| {
                if s.radios.check(index) {
                    s.chosen(index);
                }
            })?);
        }
        Ok(Mounted {
            _listeners: listeners,
        })
    }
}

/// One mounted rating, shared by its listeners.
struct State {
    radios: RadioGroup,
    instance: Instance,
    status: Element,
    thanks: Option<String>,
}

impl State {
    /// Stars up to the checked one are drawn filled (`class="s on"`).
    fn fill(&self) {
        let checked = self.radios.checked();
        for (i, star) in self.radios.items().iter().enumerate() {
            let on = checked.is_some_and(|c| i <= c);
            dom::set(star, "class", if on { "s on" } else { "s" });
        }
    }

    /// Star `index` was just chosen: show it, say it, count it, tell the page.
    fn chosen(&self, index: usize) {
        let value = index as u32 + 1;
        self.fill();
        dom::set_text(&self.status, &thanks(self.thanks.as_deref(), value));
        self.instance.metric_interaction("rating");
        self.instance
            .emit("rating:chosen", &[("value", value.into())]);
    }
}

/// The confirmation for `value`: the configured text, else "Thanks! You chose N of 5 stars."
pub fn thanks(configured: Option<&str>, value: u32) -> String {
    if let Some(text) = configured {
        return text.into();
    }
    let mut out = String::from("Thanks! You chose ");
    fmt::push_u32(&mut out, value);
    out.push_str(" of 5 stars.");
    out
}

/// Parses the config; every error names its key.
pub fn parse(config: &Value) -> Result<Config, ConfigError> {
    let text = |key: &'static str| match config.get(key) {
        Value::Null => Ok(None),
        Value::Str(s) if !s.trim().is_empty() && s.chars().count() <= 120 => Ok(Some(s.clone())),
        _ => Err(ConfigError::new(
            key,
            "must be a string of 1-120 characters",
        )),
    };
    let value = match config.get("value") {
        Value::Null => None,
        Value::Num(n) if n.fract() == 0.0 && (1.0..=STARS as f64).contains(n) => Some(*n as u32),
        _ => {
            return Err(ConfigError::new(
                "value",
                "must be a whole number from 1 to 5",
            ))
        }
    };
    Ok(Config {
        label: text("label")?.unwrap_or_else(|| "How would you rate this?".into()),
        value,
        thanks: text("thanks")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(members: &[(&str, Value)]) -> Value {
        Value::Obj(
            members
                .iter()
                .map(|(k, v)| ((*k).into(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn configs_that_parse() {
        let s = |t: &str| Value::Str(t.into());
        for (config, label, value, thanks) in [
            (obj(&[]), "How would you rate this?", None, None),
            (
                obj(&[("label", s("Your visit?"))]),
                "Your visit?",
                None,
                None,
            ),
            (
                obj(&[("value", Value::Num(1.0))]),
                "How would you rate this?",
                Some(1),
                None,
            ),
            (
                obj(&[("value", Value::Num(5.0))]),
                "How would you rate this?",
                Some(5),
                None,
            ),
            (
                obj(&[("thanks", s("Merci !")), ("value", Value::Null)]),
                "How would you rate this?",
                None,
                Some("Merci !"),
            ),
        ] {
            let got = parse(&config).expect("valid");
            assert_eq!(got.label, label);
            assert_eq!(got.value, value);
            assert_eq!(got.thanks.as_deref(), thanks);
        }
    }

    #[test]
    fn configs_that_fail_name_the_key() {
        let s = |t: &str| Value::Str(t.into());
        for (config, path) in [
            (obj(&[("label", s(""))]), "label"),
            (obj(&[("label", s("   "))]), "label"),
            (obj(&[("label", s(&"x".repeat(121)))]), "label"),
            (obj(&[("label", Value::Num(3.0))]), "label"),
            (obj(&[("value", Value::Num(0.0))]), "value"),
            (obj(&[("value", Value::Num(6.0))]), "value"),
            (obj(&[("value", Value::Num(2.5))]), "value"),
            (obj(&[("value", s("3"))]), "value"),
            (obj(&[("value", Value::Num(f64::NAN))]), "value"),
            (obj(&[("thanks", Value::Bool(true))]), "thanks"),
        ] {
            assert_eq!(
                parse(&config).expect_err("invalid").path,
                path,
                "{config:?}"
            );
        }
    }

    #[test]
    fn confirmation_text() {
        assert_eq!(thanks(None, 4), "Thanks! You chose 4 of 5 stars.");
        assert_eq!(thanks(Some("Merci !"), 2), "Merci !");
    }
}
