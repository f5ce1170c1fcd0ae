//! The Form widget mounted from a real draft on `examples/pages/form-e2e.html`.

use anyhow::Result;
use serde_json::{json, Value};

use crate::{Browser, Server};

/// Server + browser on the e2e page, with one form mounted from a real draft.
pub struct FormPage {
    /// The server the form's draft lives on.
    pub server: Server,
    /// The browser showing the page.
    pub browser: Browser,
    /// The draft's instance id.
    pub id: String,
}

/// The form's mount element on `form-e2e.html`.
pub const HOST: &str = "#slot [data-ck-widget=form]";

impl FormPage {
    /// Starts everything and mounts the form of `config` (extra mount attributes in `attrs`).
    pub async fn open(config: &Value, attrs: &[(&str, &str)]) -> Result<FormPage> {
        let server = Server::start(None).await?;
        let (id, token) = server.draft(config).await?;
        Self::show(server, id, token, attrs, "form-e2e.html", "").await
    }

    /// Mounts draft `id` on `page` (`form-e2e.html?utm_source=x`) of `server`; `after` is
    /// JavaScript run right after the mount point is inserted, in the same task, with `el` bound
    /// to it (e.g. `ck('set', el, …)` before the widget has mounted).
    pub async fn show(
        server: Server,
        id: String,
        token: String,
        attrs: &[(&str, &str)],
        page: &str,
        after: &str,
    ) -> Result<FormPage> {
        let browser = Browser::start().await?;
        browser.goto(&server.page(page)).await?;
        let mut all = vec![
            ("data-ck-widget", "form"),
            ("data-ck-id", id.as_str()),
            ("data-ck-token", token.as_str()),
        ];
        all.extend_from_slice(attrs);
        browser
            .eval(
                &format!(
                    "const el = document.createElement('div');\
                     for (const [k, v] of arguments[0]) el.setAttribute(k, v);\
                     document.getElementById('slot').appendChild(el);{after}"
                ),
                json!([all]),
            )
            .await?;
        browser
            .wait_for(
                &format!(
                    "document.querySelector('{HOST}')?.shadowRoot?.querySelector('form button')"
                ),
                "the form to render",
            )
            .await?;
        Ok(FormPage {
            server,
            browser,
            id,
        })
    }

    /// `expr` evaluated with `root` bound to the form's shadow root.
    pub async fn in_root(&self, expr: &str) -> Result<Value> {
        self.browser
            .eval(
                &format!(
                    "const root = document.querySelector('{HOST}').shadowRoot; return ({expr});"
                ),
                json!([]),
            )
            .await
    }

    /// The expression (see [`Browser::shadow`]) of the form control named `name`.
    pub async fn field(&self, name: &str) -> Result<String> {
        self.browser
            .shadow(HOST, &format!("[name=\"{name}\"]"))
            .await
    }
}

/// A contact form config used by most tests.
pub fn contact_config() -> Value {
    json!({
        "title": "Contact us",
        "description": "We answer within a day.",
        "fields": [
            {"type": "text", "name": "name", "label": "Your name", "required": true},
            {"type": "email", "name": "email", "label": "Email", "required": true},
            {"type": "select", "name": "topic", "label": "Topic", "options": ["Sales", "Support"]},
            {"type": "radio", "name": "size", "label": "Team size", "options": ["1-10", "11+"]},
            {"type": "number", "name": "seats", "label": "Seats", "min": 1, "max": 100},
            {"type": "textarea", "name": "message", "label": "Message", "min_length": 5},
            {"type": "checkbox", "name": "agree", "label": "I agree to the terms", "required": true},
            {"type": "hidden", "name": "source", "value": "e2e"}
        ],
        "submit_label": "Send",
        "success_message": "Thanks, we got it!",
        "min_fill_ms": 300
    })
}
