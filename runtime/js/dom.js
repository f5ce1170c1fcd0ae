// The runtime's DOM and property helpers, written in JS on purpose: each is one import that does
// several steps, where wasm-bindgen would make every step an import of its own, with an exception
// check and a `JsValue` handle to drop at every call site in the wasm (measured in docs/size.md).
// `cargo xtask dist` bundles this module into the glue, so it is no extra request.

// dom.rs `make` / `add` / `add_text`: creates `tag` with the static attributes `attrs`
// (`name=value` pairs separated by single spaces; a name without `=` gets an empty value), sets
// `text` through `textContent` (never parsed as markup) and appends the element to `parent`
// (either may be absent). A tag or name the DOM refuses throws (only static ones reach here).
export function ckEl(parent, tag, attrs, text) {
  let e = document.createElement(tag);
  for (let pair of attrs.split(' ')) {
    let i = pair.indexOf('=');
    if (pair) e.setAttribute(i < 0 ? pair : pair.slice(0, i), i < 0 ? '' : pair.slice(i + 1));
  }
  if (text) e.textContent = text;
  if (parent) parent.append(e);
  return e;
}

// util.rs `prop`: `target[key]`, `undefined` when the read throws (a throwing getter, a null
// target).
export function ckGet(target, key) {
  try {
    return target[key];
  } catch (_) {}
}

// util.rs `set_prop`: `target[key] = value`; a target that refuses (frozen, null) is ignored.
export function ckSet(target, key, value) {
  try {
    target[key] = value;
  } catch (_) {}
}

// bus.rs and boot.rs: calls a page's handler; one that throws is reported with `msg` and the
// caller goes on (the other handlers still run).
export function ckCall(f, arg, msg) {
  try {
    f(arg);
  } catch (e) {
    console.warn(msg, e);
  }
}

// mount.rs: a constructable stylesheet holding `css`, or undefined where the browser has none.
export function ckSheet(css) {
  try {
    let s = new CSSStyleSheet();
    s.replaceSync(css);
    return s;
  } catch (_) {}
}

// json.rs: `JSON.parse`, undefined for text that is not JSON (JSON never parses to undefined).
export function ckParse(text) {
  try {
    return JSON.parse(text);
  } catch (_) {}
}

// json.rs: `JSON.stringify`, empty for what it refuses (a cycle, a BigInt) or cannot represent.
export function ckStringify(value) {
  try {
    return JSON.stringify(value) || '';
  } catch (_) {
    return '';
  }
}

// dom.rs `adopt_vars`: custom properties (`{'--name': value}`, numbers are pixels) on `:host`
// for this shadow root only, `!important` so they win over the theme's light and dark rules, in
// one more constructable sheet after the type's shared ones. Set through the CSSOM, so a value
// can never become another declaration or rule, and no inline style is involved (strict CSP); a
// value with a character outside [A-Za-z0-9_ #,-] (a quote, `;`, a brace, `url(`) is skipped.
// A `#rgb`/`#rrggbb` `--ck-color-accent` also sets `--ck-color-accent-text` to black or white,
// whichever contrasts more (the token's contract): luminance from each channel's high hex digit
// with gamma 2, black above 0.179. Browsers without constructable sheets keep the theme's values.
export function ckVars(root, vars) {
  let s = ckSheet(':host{}'), a = vars['--ck-color-accent'], k, v;
  if (!s) return;
  if (/^#[\da-f]{3}([\da-f]{3})?$/i.test(a)) {
    // bytes: the digits of r, g, b are at 1, 2, 3 (#rgb) or 1, 3, 5 (#rrggbb).
    v = (i) => parseInt(a[1 + i * (a.length > 4 ? 2 : 1)], 16) ** 2;
    vars['--ck-color-accent-text'] = 2 * v(0) + 7 * v(1) + v(2) > 402.75 ? '#000' : '#fff';
  }
  for (k in vars) {
    v = vars[k];
    if (/^[\w #,-]+$/.test(v)) s.cssRules[0].style.setProperty(k, v + (typeof v == 'number' ? 'px' : ''), 'important');
  }
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, s];
}

// dom.rs `query_param`: the host page's URL query parameter `name`, decoded; null without one.
export function ckQuery(name) {
  return new URLSearchParams(location.search).get(name);
}

// boot.rs: the language of `el` as the manifest URL carries it: the primary subtag of its
// closest `lang` attribute (`<html lang>` included), lower case, when it is 2-3 letters; else
// empty. The same expression as the loader's prefetch, whose URL must match byte for byte.
export function ckLang(el) {
  let l = /^([a-z]{2,3})([-_]|$)/i.exec((el.closest('[lang]') || {}).lang || '');
  return l ? l[1].toLowerCase() : '';
}

// mount.rs: the element's open shadow root, emptied (made on first mount, reused after an
// unmount: a root cannot be attached twice), in a one-element array; or, for an element that
// cannot host one, what `attachShadow` threw (the runtime reports it). No `catch` import: that
// costs wasm-bindgen's exception plumbing in glue and wasm for this one call.
export function ckShadow(el) {
  try {
    let root = el.shadowRoot || el.attachShadow({ mode: 'open' });
    root.textContent = '';
    return [root];
  } catch (e) {
    return e;
  }
}
