//! Form submissions: the embed's `POST /api/v1/submissions` (token and origin checked, validated
//! against the stored form config with the widget's own schema code, stored, counted as an
//! interaction; 201 only after the commit), and the members' list and CSV export ([`http`]).
//!
//! Table: `submissions`.

pub(crate) mod csv;
pub(crate) mod db;
pub(crate) mod http;

use crate::widgets;

/// The CSV export of `rows`: `id`, `submitted_at`, then one column per form field in form order
/// (for a config that is not a form, the keys seen in the data, sorted).
pub(crate) fn to_csv(config: &serde_json::Value, rows: &[db::SubmissionRow]) -> String {
    let columns = columns(config, rows);
    let mut out = String::new();
    csv::write_row(
        &mut out,
        ["id", "submitted_at"]
            .into_iter()
            .map(str::to_owned)
            .chain(columns.iter().cloned()),
    );
    for row in rows {
        let submitted = row
            .created_at
            .0
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut cells = vec![row.id.to_string(), submitted];
        cells.extend(columns.iter().map(|c| cell(row.data.0.get(c))));
        csv::write_row(&mut out, cells);
    }
    out
}

/// The answer columns of a form's submissions: its fields in form order (for a config that is not
/// a form, the keys seen in `rows`, sorted).
pub(crate) fn columns(config: &serde_json::Value, rows: &[db::SubmissionRow]) -> Vec<String> {
    match widgets::form_config(config) {
        Ok(form) => form.fields.iter().map(|f| f.name.clone()).collect(),
        // Not a form (or a broken config): fall back to the keys seen in the data.
        Err(_) => {
            let mut keys: Vec<String> = rows
                .iter()
                .filter_map(|r| r.data.0.as_object())
                .flat_map(|o| o.keys().cloned())
                .collect();
            keys.sort();
            keys.dedup();
            keys
        }
    }
}

/// The names of a form's hidden fields (values the page set, not the visitor): the dashboard
/// marks their columns. Empty for a config that is not a form.
pub(crate) fn hidden_columns(config: &serde_json::Value) -> Vec<String> {
    widgets::form_config(config)
        .map(|form| {
            form.fields
                .iter()
                .filter(|f| f.kind == ck_form::schema::FieldKind::Hidden)
                .map(|f| f.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// One answer as text.
pub(crate) fn cell(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
