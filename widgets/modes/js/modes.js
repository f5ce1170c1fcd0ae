// The popup and slide-in's DOM steps, in JS for the reason the runtime's js/dom.js gives: each
// export is one import doing several steps, where wasm-bindgen would make every step an import
// with an exception check and a handle to drop in the wasm. `cargo xtask dist` bundles this
// module into the glue (no extra request); only builds with the `modes` feature carry it.

// The mode stylesheet, parsed once per page and adopted by every presented root.
let sheet;
// The page's scroll lock: a sheet the document adopts while a popup is open, and how many are.
// A sheet and not `body.style`: removing it leaves the page exactly as it was (no `style`
// attribute, no overwritten inline value), and CSP does not govern constructed sheets.
let lock;
let locks = 0;

// What Tab reaches in `box`, in order: enabled, in the tab order, rendered.
let tabbable = (box) =>
  [...box.querySelectorAll('a[href],button,input,select,textarea,[tabindex]')].filter(
    (e) => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length,
  );

// Moves what the widget rendered into `box`, puts `box` in the root with the mode's stylesheet
// and names it by the widget's first heading (`aria-labelledby`).
export function ckPresent(root, box, css) {
  try {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
    }
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch (_) {
    // No constructable stylesheets (Safari < 16.4): a <style>, as the runtime falls back to.
    box.append(Object.assign(document.createElement('style'), { textContent: css }));
  }
  box.append(...root.childNodes);
  root.append(box);
  let h = box.querySelector('h1,h2,h3');
  if (h) box.setAttribute('aria-labelledby', (h.id ||= 'ck-dt'));
}

// Opens (`on`) or closes `box`; false when it could not open. The popup is a modal <dialog>:
// top layer, the rest of the page inert, focus moved to its first control, and the page's
// scroll locked. The slide-in is a manual popover: top layer, the page stays usable, focus
// stays where it is (`focus`: move it in, for an open the visitor asked for); before popovers
// (2024) it shows in place, position:fixed.
export function ckShow(box, on, modal, focus) {
  try {
    if (modal) on ? box.showModal() : box.close();
    else {
      box.hidden = !on;
      if (box.showPopover) on ? box.showPopover() : box.hidePopover();
      if (on && focus) tabbable(box)[0]?.focus();
    }
  } catch (_) {
    // showModal on a detached box, hidePopover on a hidden one: nothing changed.
    if (on) return false;
  }
  if (modal) {
    try {
      if (on && !locks++) {
        lock ||= new CSSStyleSheet();
        // A classic scrollbar's width stays reserved: the page behind does not shift sideways.
        let r = document.documentElement;
        lock.replaceSync(
          'html{overflow:hidden!important' +
            (innerWidth > r.clientWidth ? ';scrollbar-gutter:stable' : '') +
            '}',
        );
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, lock];
      }
      if (!on && !--locks) document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s != lock);
    } catch (_) {}
  }
  return true;
}

// A keydown inside `box`: true for Escape (the caller closes). In a popup, Tab from the last
// control goes to the first and Shift+Tab from the first to the last: a modal <dialog> alone
// lets focus leave for the browser's own UI.
export function ckKey(root, box, e, modal) {
  if (e.key == 'Escape') {
    e.preventDefault();
    return true;
  }
  if (modal && e.key == 'Tab') {
    let all = tabbable(box);
    let at = root.activeElement;
    let last = all[all.length - 1];
    let [from, to] = e.shiftKey ? [all[0], last] : [last, all[0]];
    if (!to || at == from || (e.shiftKey && at == box)) {
      e.preventDefault();
      to?.focus();
    }
  }
  return false;
}

// The element with `data-ck-open` equal to `id` that the click `e` landed in (its default,
// e.g. a link's navigation, cancelled: opening is what it is for), else undefined.
export function ckTrigger(e, id) {
  let t = e.target.closest?.('[data-ck-open]');
  if (t?.getAttribute('data-ck-open') == id) {
    e.preventDefault();
    return t;
  }
}

// `matchMedia(query).matches`. Taking the query as an argument is also what makes wasm-bindgen
// route the call through its import object (an import without arguments to adapt would name
// this file as a wasm import module, which the bundled glue cannot serve).
export let ckMatches = (query) => matchMedia(query).matches;
