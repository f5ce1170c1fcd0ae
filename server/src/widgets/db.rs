//! SQL of the `widgets` table (the widget types this deployment serves).

use crate::store::{on_tx, Tx};

/// True when a widget type exists.
pub(crate) async fn exists(tx: &mut Tx, widget: &str) -> Result<bool, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_scalar::<_, i64>("select count(*) from widgets where id = $1")
        .bind(widget)
        .fetch_one(&mut **c)
        .await)
    .map(|n| n > 0)
}
