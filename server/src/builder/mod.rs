//! The publisher's path without an account: the public form builder at `/` ([`http`]), the claim
//! page `/claim` ([`claim`]) and, in development, the demo sites on a second origin ([`sites`]).
//! No tables of its own: publishing goes through `drafts` (`POST /api/v1/drafts`, then
//! `PUT /api/v1/draft` with the draft token), claiming through `POST /api/v1/claims`.
//!
//! The pages are server-rendered and styled by dieter-tokens (`/assets/dashboard.css` plus
//! [`BUILDER_CSS`]); their scripts are small first-party ES modules embedded in the binary
//! (`js/`), served under `/assets/builder/`:
//!
//! - `editor.js`: the form editor, self-contained: `mountEditor(container, config, onChange)`.
//!   The dashboard mounts the same module to edit a widget's config.
//! - `preview.js`: the live preview, the real embed (`/embed/latest/loader.js`, its glue and
//!   wasm) mounted through the public `ck()` API with inline config only, so it sends no usage
//!   events: `mountPreview(container)`.
//! - `check.js`: the config check, the form crate's own parser compiled to wasm
//!   (`ck-form-check`, built by `cargo xtask dist` into `dist/builder/`).
//! - `builder.js`, `claim.js`: the two pages.
//!
//! Pages with a live preview are served with `script-src 'self' 'wasm-unsafe-eval'`
//! (`dashboard::PageExtras::live_preview`), still no inline script or style.

pub(crate) mod claim;
pub(crate) mod http;
pub(crate) mod sites;

/// The builder's and claim page's layout, in dieter-tokens custom properties only (the same
/// rule as the dashboard's stylesheet; `css_uses_only_tokens` checks it).
pub(crate) const BUILDER_CSS: &str = "\
main.wide{max-width:1200px}\
.lede{color:var(--ck-color-muted);margin:0 0 var(--ck-space-5)}\
header.bar nav{display:flex;gap:var(--ck-space-2) var(--ck-space-4);align-items:center;flex-wrap:wrap;font-size:var(--ck-font-size-sm)}\
a.brand{color:var(--ck-color-text);text-decoration:none}\
.grid{display:grid;gap:var(--ck-space-4);align-items:start}\
@media (min-width:960px){.grid{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}.sticky{position:sticky;top:var(--ck-space-4)}}\
.card h2{margin-top:0}\
fieldset{border:1px solid var(--ck-color-border);border-radius:var(--ck-radius-md);padding:var(--ck-space-3);margin:0;\
display:grid;gap:var(--ck-space-3);min-width:0}\
legend{font-weight:var(--ck-font-weight-bold);padding:0 var(--ck-space-1)}\
select,textarea{font:inherit;color:inherit;background:var(--ck-color-surface);border:1px solid var(--ck-color-border);\
border-radius:var(--ck-radius-md);padding:var(--ck-space-2) var(--ck-space-3)}\
textarea{resize:vertical;min-height:calc(var(--ck-space-6)*2)}\
select:focus-visible,textarea:focus-visible{outline:2px solid var(--ck-color-focus);outline-offset:2px}\
label.check{display:flex;flex-direction:row;align-items:center;gap:var(--ck-space-2)}\
.row{display:flex;flex-wrap:wrap;gap:var(--ck-space-2);align-items:center}\
.pair{display:grid;gap:var(--ck-space-3);grid-template-columns:repeat(auto-fit,minmax(140px,1fr))}\
.editor,.stack{display:grid;gap:var(--ck-space-4)}\
.editor h3{margin:0}\
.field-card>label,.field-card>.pair>label{align-content:end}\
.field-card{background:var(--ck-color-surface);grid-template-columns:repeat(auto-fit,minmax(200px,1fr))}\
.field-card>.pair{display:contents}\
.field-card>.tools,.field-card>.field-error,.field-card>label:has(textarea){grid-column:1/-1}\
.tools{display:flex;flex-wrap:wrap;gap:var(--ck-space-2);align-items:center}\
.tools button,button.small{padding:var(--ck-space-1) var(--ck-space-3);font-size:var(--ck-font-size-sm)}\
[aria-invalid=true]{border-color:var(--ck-color-danger)}\
.field-error{color:var(--ck-color-danger);font-size:var(--ck-font-size-sm);margin:0}\
.hint{color:var(--ck-color-muted);font-size:var(--ck-font-size-sm);font-weight:var(--ck-font-weight-regular)}\
.segmented{display:flex;flex-wrap:wrap;gap:var(--ck-space-3);border:0;padding:0}\
.segmented legend{font-size:var(--ck-font-size-sm);padding:0;margin-bottom:var(--ck-space-1)}\
.stage{border:1px dashed var(--ck-color-border);border-radius:var(--ck-radius-lg);padding:var(--ck-space-4);margin-top:var(--ck-space-3);\
background:var(--ck-color-surface);overflow:auto}\
.stage.phone{max-width:390px;margin-left:auto;margin-right:auto}\
.snippet{width:100%;font-family:var(--ck-font-family-mono);font-size:var(--ck-font-size-sm);min-height:calc(var(--ck-space-6)*3)}\
.links{display:flex;flex-wrap:wrap;gap:var(--ck-space-2) var(--ck-space-4);padding:0;margin:0;list-style:none}\
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}\
[hidden]{display:none!important}\
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_uses_only_tokens() {
        crate::dashboard::assert_tokens_only(BUILDER_CSS);
    }
}
