//! The Widget SDK: the trait a widget implements, the context it mounts with, and the registry
//! the bindings crate fills with the widgets chosen by cargo features.

use std::any::Any;
use std::borrow::Cow;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::{Element, ShadowRoot};

use crate::present::PresenterFns;
use crate::{metrics, Bus, Http, Presenter, Theme, Value};

/// A widget type. Implement it on a unit struct and register it in the bindings crate.
///
/// ```no_run
/// use ck_runtime::{dom, ConfigError, MountCtx, Value, Widget};
/// use wasm_bindgen::JsValue;
///
/// struct Hello;
///
/// struct HelloConfig { name: String }
///
/// impl Widget for Hello {
///     const TYPE: &'static str = "hello";
///     type Config = HelloConfig;
///     // Everything the widget must keep alive; dropping it unmounts (listeners deregister).
///     type Mounted = dom::Listener;
///
///     fn styles() -> &'static [&'static str] {
///         &[ck_runtime::dieter_tokens::css::THEME, "p{color:var(--ck-color-accent);margin:0}"]
///     }
///
///     fn parse_config(config: &Value) -> Result<HelloConfig, ConfigError> {
///         let name = config.get("name").as_str().unwrap_or("world");
///         if name.len() > 40 {
///             return Err(ConfigError::new("name", "at most 40 characters"));
///         }
///         Ok(HelloConfig { name: name.into() })
///     }
///
///     fn mount(ctx: MountCtx<HelloConfig>) -> Result<dom::Listener, JsValue> {
///         let p = dom::element("p")?;
///         dom::set_text(&p, &ctx.config().name);
///         dom::append(ctx.root(), &p)?;
///         let instance = ctx.instance().clone();
///         dom::listen(&p, "click", move |_| instance.metric_interaction("click"))
///     }
/// }
/// ```
pub trait Widget: 'static {
    /// The `data-ck-widget` value, e.g. `"form"`.
    const TYPE: &'static str;
    /// The typed, validated configuration.
    type Config: 'static;
    /// Whatever the mounted widget keeps alive; dropped on unmount, so it must release
    /// everything (listeners, timers, closures) in its `Drop`.
    type Mounted: 'static;
    /// CSS texts; each becomes one constructable stylesheet shared by all instances of the type.
    ///
    /// Include the dieter tokens your CSS reads: the runtime's own sheets define only the few its
    /// isolation reset uses (text colour, font family, size, regular weight, line height). Either
    /// all of them, `ck_runtime::dieter_tokens::css::THEME`, or, smaller, only yours, cut at build
    /// time with `dieter_tokens::subset(css::THEME, your_css)` in a `build.rs` (the form widget
    /// does that).
    fn styles() -> &'static [&'static str];
    /// Parses the merged config (manifest config with inline `data-ck-config` over it).
    fn parse_config(config: &Value) -> Result<Self::Config, ConfigError>;
    /// Renders into `ctx.root()` and returns the handle that keeps the widget alive.
    fn mount(ctx: MountCtx<Self::Config>) -> Result<Self::Mounted, JsValue>;
    /// `ck('set', element, values)` from the page: `values` is an object. Calls made before the
    /// widget mounted arrive (merged, later keys win) right after `mount`. Ignored by default.
    fn set(mounted: &Self::Mounted, values: &Value) {
        let _ = (mounted, values);
    }
}

/// A config problem: where (`path`, e.g. `fields[2].name`) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted path of the offending value; empty for the whole config.
    pub path: String,
    /// What is wrong, for a person.
    pub reason: Cow<'static, str>,
}

impl ConfigError {
    /// A config error at `path`.
    ///
    /// ```
    /// let e = ck_runtime::ConfigError::new("fields", "must be an array");
    /// assert_eq!(e.path, "fields");
    /// ```
    pub fn new(path: impl Into<String>, reason: impl Into<Cow<'static, str>>) -> Self {
        ConfigError {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

pub(crate) struct InstanceInner {
    pub(crate) widget: &'static str,
    pub(crate) id: Option<String>,
    pub(crate) token: Option<String>,
    pub(crate) theme: Theme,
    /// Comma list (manifest flags, then `data-ck-flags`); see [`crate::has_flag`].
    pub(crate) flags: String,
    /// How many bytes of `flags` came from the config manifest (the workspace's plan).
    pub(crate) plan: usize,
    pub(crate) element: Element,
    pub(crate) root: ShadowRoot,
    pub(crate) bus: Bus,
}

/// One mounted widget instance: everything of [`MountCtx`] except the config. Cheap to clone,
/// so event handlers can move a copy in.
#[derive(Clone)]
pub struct Instance(pub(crate) Rc<InstanceInner>);

impl Instance {
    /// The open shadow root the widget renders into.
    pub fn root(&self) -> &ShadowRoot {
        &self.0.root
    }

    /// The publisher's mount element (the shadow host).
    pub fn element(&self) -> &Element {
        &self.0.element
    }

    /// The widget type.
    pub fn widget_type(&self) -> &'static str {
        self.0.widget
    }

    /// The page-wide event bus.
    pub fn bus(&self) -> &Bus {
        &self.0.bus
    }

    /// Whether feature flag `name` is on (from the config manifest or `data-ck-flags`).
    pub fn flag(&self, name: &str) -> bool {
        crate::has_flag(&self.0.flags, name)
    }

    /// Whether the workspace's plan, as the config manifest says, has flag `name`. Unlike
    /// [`Instance::flag`], `data-ck-flags` on the page cannot turn it on: use it for what a
    /// plan pays for (the form's `remove_branding`).
    pub fn plan_flag(&self, name: &str) -> bool {
        crate::has_flag(&self.0.flags[..self.0.plan], name)
    }

    /// `console.warn(message, element)`: for the page's developer, never for visitors' data.
    pub fn warn(&self, message: &str) {
        crate::bindings::warn(message, &self.0.element);
    }

    /// The requested colour scheme. Styling needs nothing: the dieter-tokens variables already
    /// follow it through `:host([data-ck-theme])`.
    pub fn theme(&self) -> Theme {
        self.0.theme
    }

    /// `data-ck-id`, if the mount element has one.
    pub fn instance_id(&self) -> Option<&str> {
        self.0.id.as_deref()
    }

    /// The public embed token in effect (element's or the script's default).
    pub fn token(&self) -> Option<&str> {
        self.0.token.as_deref()
    }

    /// Counts an interaction in the usage metrics (batched, no payload: never pass visitor
    /// input). `kind` names it for debugging; the wire format counts interactions per instance.
    pub fn metric_interaction(&self, kind: &'static str) {
        let _ = kind;
        metrics::record(
            self.0.token.as_deref(),
            metrics::Kind::Interaction,
            self.0.id.as_deref(),
            None,
        );
    }

    /// Counts the instance's view in the usage metrics. The runtime counts one at mount for
    /// widgets shown in place; a [`crate::Presenter`] calls this when its popup first opens.
    pub fn metric_view(&self) {
        metrics::record(
            self.0.token.as_deref(),
            metrics::Kind::View,
            self.0.id.as_deref(),
            None,
        );
    }

    /// JSON over HTTP to the API origin, with this instance's token.
    pub fn http(&self) -> Http {
        Http::new(self.0.token.clone())
    }

    /// Emits `event` on the page bus with a detail that names this instance. The detail is a
    /// plain JS object:
    ///
    /// | key | value |
    /// |---|---|
    /// | `id` | `data-ck-id` (string), or `null` when the element has none |
    /// | `widget` | the widget type (`"rating"`) |
    /// | `element` | the mount element |
    /// | each of `pairs` | as given: `3.into()`, `"network".into()`, `true.into()`, `JsValue::NULL` |
    ///
    /// A pair named like one of the three above replaces it. Ids and reason codes only: never
    /// what a visitor typed. The page reads it with `ck('on', event, detail => …)`.
    ///
    /// ```no_run
    /// # fn demo(instance: &ck_runtime::Instance) {
    /// instance.emit("rating:chosen", &[("value", 4.into())]);
    /// instance.emit("announcement:dismissed", &[]);
    /// # }
    /// ```
    // `#[inline]`: compiled only into the crates that call it. Compiled here, even unused, it
    // shifted boot's constants and inlining before LTO dropped it (measured: a build without
    // widgets 2 B larger before wasm-opt, and its wasm-opt choice changed).
    #[inline]
    pub fn emit(&self, event: &str, pairs: &[(&str, JsValue)]) {
        let id = match &self.0.id {
            Some(id) => JsValue::from_str(id),
            None => JsValue::NULL,
        };
        let detail = crate::js::js_object(&[
            ("id", id),
            ("widget", JsValue::from_str(self.0.widget)),
            ("element", self.0.element.clone().into()),
        ]);
        for (key, value) in pairs {
            crate::js::set_prop(&detail, key, value);
        }
        self.0.bus.emit(event, detail);
    }
}

/// What a widget's [`Widget::mount`] receives: the parsed config plus the [`Instance`].
pub struct MountCtx<C> {
    config: C,
    instance: Instance,
}

impl<C> MountCtx<C> {
    /// The parsed config.
    pub fn config(&self) -> &C {
        &self.config
    }

    /// The instance handle (clone it into event handlers).
    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    /// Takes the context apart, e.g. to move the config into an `Rc` shared by handlers.
    pub fn into_parts(self) -> (C, Instance) {
        (self.config, self.instance)
    }

    /// See [`Instance::root`].
    pub fn root(&self) -> &ShadowRoot {
        self.instance.root()
    }

    /// See [`Instance::bus`].
    pub fn bus(&self) -> &Bus {
        self.instance.bus()
    }

    /// See [`Instance::flag`].
    pub fn flag(&self, name: &str) -> bool {
        self.instance.flag(name)
    }

    /// See [`Instance::theme`].
    pub fn theme(&self) -> Theme {
        self.instance.theme()
    }

    /// See [`Instance::instance_id`].
    pub fn instance_id(&self) -> Option<&str> {
        self.instance.instance_id()
    }

    /// See [`Instance::token`].
    pub fn token(&self) -> Option<&str> {
        self.instance.token()
    }

    /// See [`Instance::metric_interaction`].
    pub fn metric_interaction(&self, kind: &'static str) {
        self.instance.metric_interaction(kind)
    }

    /// See [`Instance::http`].
    pub fn http(&self) -> Http {
        self.instance.http()
    }

    /// See [`Instance::emit`].
    #[inline]
    pub fn emit(&self, event: &str, pairs: &[(&str, JsValue)]) {
        self.instance.emit(event, pairs)
    }
}

pub(crate) enum MountError {
    Config(ConfigError),
    Js(JsValue),
}

type MountFn = fn(&Value, Instance) -> Result<Rc<dyn Any>, MountError>;

#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) widget: &'static str,
    pub(crate) styles: fn() -> &'static [&'static str],
    pub(crate) mount: MountFn,
    pub(crate) set: fn(&dyn Any, &Value),
}

/// The widgets compiled into this embed. The bindings crate builds it from cargo features, so a
/// widget not chosen costs no bytes.
///
/// ```no_run
/// # struct Form; struct Announcement;
/// # macro_rules! w { ($t:ty, $n:expr) => { impl ck_runtime::Widget for $t {
/// #   const TYPE: &'static str = $n; type Config = (); type Mounted = ();
/// #   fn styles() -> &'static [&'static str] { &[] }
/// #   fn parse_config(_: &ck_runtime::Value) -> Result<(), ck_runtime::ConfigError> { Ok(()) }
/// #   fn mount(_: ck_runtime::MountCtx<()>) -> Result<(), wasm_bindgen::JsValue> { Ok(()) } } } }
/// # w!(Form, "form"); w!(Announcement, "announcement");
/// let registry = ck_runtime::Registry::new().with::<Form>().with::<Announcement>();
/// assert!(registry.contains("form"));
/// ```
#[derive(Default)]
pub struct Registry {
    pub(crate) entries: Vec<Entry>,
    pub(crate) presenter: Option<PresenterFns>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds widget `W` (a later registration of the same type replaces nothing: first wins).
    pub fn with<W: Widget>(mut self) -> Self {
        if !self.contains(W::TYPE) {
            self.entries.push(Entry {
                widget: W::TYPE,
                styles: W::styles,
                mount: mount_erased::<W>,
                set: set_erased::<W>,
            });
        }
        self
    }

    /// Registers the presenter of `data-ck-mode` mount points (the last one registered wins).
    pub fn present<P: Presenter>(mut self) -> Self {
        self.presenter = Some(PresenterFns::of::<P>());
        self
    }

    /// Whether a widget type is registered.
    pub fn contains(&self, widget: &str) -> bool {
        self.entries.iter().any(|e| e.widget == widget)
    }
}

// `Rc`, not `Box`: `ck('set')` calls into the mounted widget without holding the runtime's
// state borrowed (see boot.rs), so it takes a second reference for the call.
fn mount_erased<W: Widget>(config: &Value, instance: Instance) -> Result<Rc<dyn Any>, MountError> {
    let config = W::parse_config(config).map_err(MountError::Config)?;
    let mounted = W::mount(MountCtx { config, instance }).map_err(MountError::Js)?;
    Ok(Rc::new(mounted))
}

fn set_erased<W: Widget>(mounted: &dyn Any, values: &Value) {
    if let Some(mounted) = mounted.downcast_ref::<W::Mounted>() {
        W::set(mounted, values);
    }
}
