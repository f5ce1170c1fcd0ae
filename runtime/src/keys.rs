//! Keyboard and focus help for widgets: which key an event carries, what it means in a
//! composite widget (arrows, Home, End, Enter, Space), and [`RadioGroup`], the roving-tabindex
//! radio group of the WAI-ARIA Authoring Practices (one tab stop for the group; arrows move
//! focus and check; a rating, a segmented control, a choice of plans).
//!
//! No web-sys feature is needed: the key is read through the SDK's one property import, so a
//! widget that uses none of this pays nothing, and one that does pays for the functions it calls.
//!
//! ```no_run
//! use ck_runtime::{dom, keys};
//! # fn demo(root: &web_sys::ShadowRoot) -> Result<(), wasm_bindgen::JsValue> {
//! let group = dom::add(root, "div", "role=radiogroup aria-label=Size");
//! let items: Vec<_> = ["S", "M", "L"]
//!     .iter()
//!     .map(|size| dom::add_text(&group, "span", "role=radio", size))
//!     .collect();
//! let radios = std::rc::Rc::new(keys::RadioGroup::new(items, None));
//! let r = radios.clone();
//! let _listener = dom::listen(&group, "keydown", move |event| {
//!     if let Some(index) = r.on_key(&event) {
//!         // `index` was just checked: emit, count, show.
//!         let _ = index;
//!     }
//! })?;
//! # Ok(()) }
//! ```

use std::cell::Cell;

use web_sys::{Element, Event};

use crate::bindings;

// Every function here is `#[inline]`: compiled only into the widget crates that call it, never
// into the runtime's own object, where even unused code changes what LLVM inlines and lays out
// before LTO removes it (measured on `Instance::emit`). A build without a caller is
// byte-identical.

/// `event.key` of a `KeyboardEvent` (`"ArrowRight"`, `"Enter"`, `" "`, `"a"`), empty for an
/// event without one.
///
/// ```no_run
/// # let input = ck_runtime::dom::make("input", "");
/// let l = ck_runtime::dom::listen(&input, "keydown", |event| {
///     if ck_runtime::keys::key(&event) == "Escape" { /* close */ }
/// });
/// ```
#[inline]
pub fn key(event: &Event) -> String {
    crate::js::prop(event, "key")
        .as_string()
        .unwrap_or_default()
}

/// `event.preventDefault()`: keeps the page from scrolling on an arrow or Space the widget
/// handled.
#[inline]
pub fn prevent_default(event: &Event) {
    bindings::prevent_default(event);
}

/// Moves focus to an element (`el.focus()`), here too for widgets that only import `keys`.
pub use crate::dom::focus;

/// What a key means inside a composite widget (a radio group, a toolbar, a listbox).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    /// `ArrowRight` or `ArrowDown`: the next item (after the last: the first).
    Next,
    /// `ArrowLeft` or `ArrowUp`: the previous item (before the first: the last).
    Prev,
    /// `Home`: the first item.
    First,
    /// `End`: the last item.
    Last,
    /// `Enter` or `Space`: act on the focused item.
    Activate,
}

impl Nav {
    /// The meaning of the key `key` (`event.key`), `None` for keys a composite leaves alone
    /// (Tab, letters, modifiers).
    ///
    /// ```
    /// use ck_runtime::keys::Nav;
    /// assert_eq!(Nav::of("ArrowDown"), Some(Nav::Next));
    /// assert_eq!(Nav::of(" "), Some(Nav::Activate));
    /// assert_eq!(Nav::of("Tab"), None);
    /// ```
    #[inline]
    pub fn of(key: &str) -> Option<Nav> {
        Some(match key {
            "ArrowRight" | "ArrowDown" | "Right" | "Down" => Nav::Next,
            "ArrowLeft" | "ArrowUp" | "Left" | "Up" => Nav::Prev,
            "Home" => Nav::First,
            "End" => Nav::Last,
            "Enter" | " " | "Spacebar" => Nav::Activate,
            _ => return None,
        })
    }

    /// The index this move leads to from `current` in `len` items (wrapping at both ends;
    /// [`Nav::Activate`] stays). `len` 0 gives 0.
    ///
    /// ```
    /// use ck_runtime::keys::Nav;
    /// assert_eq!(Nav::Next.from(4, 5), 0);
    /// assert_eq!(Nav::Prev.from(0, 5), 4);
    /// assert_eq!(Nav::Last.from(1, 5), 4);
    /// ```
    #[inline]
    pub fn from(self, current: usize, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        let current = current.min(len - 1);
        match self {
            Nav::Next => (current + 1) % len,
            Nav::Prev => (current + len - 1) % len,
            Nav::First => 0,
            Nav::Last => len - 1,
            Nav::Activate => current,
        }
    }
}

/// A roving-tabindex radio group over `items` (elements with `role=radio` inside a
/// `role=radiogroup`): exactly one item has `tabindex=0` (the checked one, else the first), the
/// others `-1`; each has `aria-checked`. Arrows, Home and End move focus and check, as a native
/// radio group does; Enter and Space check the focused item. The widget keeps what checking
/// means (an event, a metric, a look); keep the group in an `Rc` shared with its listeners.
pub struct RadioGroup {
    items: Vec<Element>,
    focused: Cell<usize>,
    checked: Cell<Option<usize>>,
}

impl RadioGroup {
    /// Takes over `items`' `tabindex` and `aria-checked`, with `checked` (if in range) checked.
    #[inline]
    pub fn new(items: Vec<Element>, checked: Option<usize>) -> RadioGroup {
        let checked = checked.filter(|&i| i < items.len());
        let group = RadioGroup {
            items,
            focused: Cell::new(checked.unwrap_or(0)),
            checked: Cell::new(checked),
        };
        group.paint();
        group
    }

    /// The items, in order.
    #[inline]
    pub fn items(&self) -> &[Element] {
        &self.items
    }

    /// The checked item, if any.
    #[inline]
    pub fn checked(&self) -> Option<usize> {
        self.checked.get()
    }

    /// Checks item `index` (and makes it the group's tab stop) without moving focus, e.g. on a
    /// click. Returns whether the checked item changed.
    #[inline]
    pub fn check(&self, index: usize) -> bool {
        if index >= self.items.len() {
            return false;
        }
        self.focused.set(index);
        let changed = self.checked.replace(Some(index)) != Some(index);
        self.paint();
        changed
    }

    /// Handles a `keydown` of the group: a key it knows is taken (`preventDefault`), focus
    /// moves and the item is checked. Returns the item checked by this key, `None` when the key
    /// was not the group's or checked nothing new.
    #[inline]
    pub fn on_key(&self, event: &Event) -> Option<usize> {
        let nav = Nav::of(&key(event))?;
        prevent_default(event);
        let index = nav.from(self.focused.get(), self.items.len());
        let changed = self.check(index);
        if let Some(item) = self.items.get(index) {
            bindings::focus(item);
        }
        changed.then_some(index)
    }

    /// One pass over the items: `tabindex` and `aria-checked` follow the state.
    #[inline]
    fn paint(&self) {
        let (focused, checked) = (self.focused.get(), self.checked.get());
        for (i, item) in self.items.iter().enumerate() {
            bindings::set_attr(item, "tabindex", if i == focused { "0" } else { "-1" });
            bindings::set_attr(
                item,
                "aria-checked",
                if Some(i) == checked { "true" } else { "false" },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Nav;

    #[test]
    fn keys_mean_what_the_authoring_practices_say() {
        for (key, nav) in [
            ("ArrowRight", Some(Nav::Next)),
            ("ArrowDown", Some(Nav::Next)),
            ("ArrowLeft", Some(Nav::Prev)),
            ("ArrowUp", Some(Nav::Prev)),
            ("Home", Some(Nav::First)),
            ("End", Some(Nav::Last)),
            ("Enter", Some(Nav::Activate)),
            (" ", Some(Nav::Activate)),
            ("Tab", None),
            ("a", None),
            ("", None),
        ] {
            assert_eq!(Nav::of(key), nav, "{key:?}");
        }
    }

    #[test]
    fn moves_wrap_and_clamp() {
        for (nav, current, len, want) in [
            (Nav::Next, 0, 5, 1),
            (Nav::Next, 4, 5, 0),
            (Nav::Prev, 0, 5, 4),
            (Nav::Prev, 3, 5, 2),
            (Nav::First, 3, 5, 0),
            (Nav::Last, 0, 5, 4),
            (Nav::Activate, 2, 5, 2),
            (Nav::Next, 9, 5, 0),
            (Nav::Next, 0, 0, 0),
            (Nav::Prev, 0, 1, 0),
        ] {
            assert_eq!(
                nav.from(current, len),
                want,
                "{nav:?} from {current} of {len}"
            );
        }
    }
}
