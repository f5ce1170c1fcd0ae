//! SQL of the `widgets` table (the widget types this deployment serves).

use crate::store::{fetch, Tx};

/// True when a widget type exists.
pub(crate) async fn exists(tx: &mut Tx, widget: &str) -> Result<bool, sqlx::Error> {
    fetch!(
        tx,
        fetch_one,
        sqlx::query_scalar::<_, i64>("select count(*) from widgets where id = $1").bind(widget)
    )
    .map(|n| n > 0)
}
