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
