// The form's config check: ck-form's own parser (the rules the server applies before it stores a
// config) compiled to wasm by `cargo xtask dist` (crate ck-form-check). The builder refuses
// exactly what the server would, without a JavaScript copy of the rules.
import init, { validate } from './ck_form_check.js';

let loading;

/** Resolves to `check(config)`: `null` when the server would accept `config`, else `{path, reason}`. */
export function loadCheck() {
  loading ||= init({ module_or_path: new URL('./ck_form_check_bg.wasm', import.meta.url) })
    .then(() => validate);
  return loading;
}
