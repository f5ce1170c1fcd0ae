//! The hook for presentation modes (`data-ck-mode="popup" | "slide"`).
//!
//! The runtime only parses the attribute ([`crate::Mode`]), hands each mounted widget with a
//! mode to the [`Presenter`] the embed build registered, keeps what it returns with the widget's
//! handle, and passes `ck('open' | 'close', id)` on. The dialogs themselves live in their own
//! crate (`ck-modes`), so a build, or a chunk, without them carries none of their code. Without
//! a presenter a mount point with `data-ck-mode` is reported once and shown inline.

use std::any::Any;

use wasm_bindgen::JsValue;

use crate::{Instance, Mode, Value};

/// Presents mounted widgets whose mount point has a `data-ck-mode`. Implement it on a unit
/// struct and register it with [`crate::Registry::present`].
pub trait Presenter: 'static {
    /// What keeps a presented widget's popup or slide-in alive. The runtime keeps it with the
    /// widget's handle and drops it first on unmount, so its `Drop` must close it and release
    /// everything it holds.
    type Shown: 'static;

    /// Takes over `instance` (its widget has just rendered into `instance.root()`), shown as
    /// `mode` (never [`Mode::Inline`]); `config` is the widget's merged config, for the mode's
    /// own options. The presenter counts the instance's view when it first opens
    /// ([`Instance::metric_view`]): the runtime does not count one at mount.
    fn present(mode: Mode, instance: &Instance, config: &Value) -> Result<Self::Shown, JsValue>;

    /// `ck('open' | 'close', id)`: opens or closes the presented widget whose `data-ck-id` is
    /// `id`; `false` when there is none (the runtime then warns). Called with no runtime state
    /// borrowed: it may call back into `ck(…)`.
    fn set_open(id: &str, open: bool) -> bool;
}

/// [`Presenter::present`] with its `Shown` boxed.
type PresentFn = fn(Mode, &Instance, &Value) -> Result<Box<dyn Any>, JsValue>;

/// A registered [`Presenter`], type-erased.
#[derive(Clone, Copy)]
pub(crate) struct PresenterFns {
    pub(crate) present: PresentFn,
    pub(crate) set_open: fn(&str, bool) -> bool,
}

impl PresenterFns {
    pub(crate) fn of<P: Presenter>() -> PresenterFns {
        PresenterFns {
            present: present_erased::<P>,
            set_open: P::set_open,
        }
    }
}

fn present_erased<P: Presenter>(
    mode: Mode,
    instance: &Instance,
    config: &Value,
) -> Result<Box<dyn Any>, JsValue> {
    P::present(mode, instance, config).map(|shown| Box::new(shown) as Box<dyn Any>)
}
