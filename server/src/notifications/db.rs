//! SQL of `notification_settings`, and the reads a notification mail needs.

use uuid::Uuid;

use super::Mode;
use crate::{
    store::{execute, fetch, Ts, Tx},
    submissions::db::SubmissionRow,
};

/// Owners (still owners) who want mail about `instance`, with their mode (ck_system).
pub(crate) async fn subscribers(
    tx: &mut Tx,
    instance: Uuid,
) -> Result<Vec<(Uuid, Mode)>, sqlx::Error> {
    let rows: Vec<(Uuid, String)> = fetch!(tx, fetch_all, sqlx::query_as(
        "select s.user_id, s.mode from notification_settings s \
         join widget_instances i on i.id = s.instance_id and i.workspace_id = s.workspace_id \
         join workspace_members m on m.workspace_id = s.workspace_id and m.user_id = s.user_id and m.role = 'owner' \
         where s.instance_id = $1 and s.mode <> 'none' order by s.user_id")
        .bind(instance))?;
    Ok(rows
        .into_iter()
        .filter_map(|(user, mode)| Mode::parse(&mode).map(|m| (user, m)))
        .collect())
}

/// The mode `user` chose for `instance`, if they are (still) an owner of its workspace (ck_system).
pub(crate) async fn subscribed_mode(
    tx: &mut Tx,
    user: Uuid,
    instance: Uuid,
) -> Result<Option<Mode>, sqlx::Error> {
    let mode: Option<String> = fetch!(tx, fetch_optional, sqlx::query_scalar(
        "select s.mode from notification_settings s \
         join widget_instances i on i.id = s.instance_id and i.workspace_id = s.workspace_id \
         join workspace_members m on m.workspace_id = s.workspace_id and m.user_id = s.user_id and m.role = 'owner' \
         where s.instance_id = $1 and s.user_id = $2")
        .bind(instance)
        .bind(user))?;
    Ok(mode.as_deref().and_then(Mode::parse))
}

/// A recipient's address (ck_system reads only `id` and `email` of users).
pub(crate) async fn recipient(tx: &mut Tx, user: Uuid) -> Result<Option<String>, sqlx::Error> {
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_scalar::<_, String>("select email from users where id = $1").bind(user)
    )
}

/// One submission (ck_system).
pub(crate) async fn submission(
    tx: &mut Tx,
    id: Uuid,
) -> Result<Option<SubmissionRow>, sqlx::Error> {
    fetch!(
        tx,
        fetch_optional,
        sqlx::query_as::<_, SubmissionRow>(
            "select id, instance_id, data, created_at from submissions where id = $1"
        )
        .bind(id)
    )
}

/// Submissions to `instance` in `[start, end)`, oldest first (ck_system).
pub(crate) async fn submissions_between(
    tx: &mut Tx,
    instance: Uuid,
    start: Ts,
    end: Ts,
) -> Result<Vec<SubmissionRow>, sqlx::Error> {
    fetch!(tx, fetch_all, sqlx::query_as::<_, SubmissionRow>(
        "select id, instance_id, data, created_at from submissions \
         where instance_id = $1 and created_at >= $2 and created_at < $3 order by created_at, id limit 10000")
        .bind(instance)
        .bind(start)
        .bind(end))
}

/// A widget of a workspace `user` owns, with `user`'s mode for it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Setting {
    pub(crate) instance_id: Uuid,
    pub(crate) name: String,
    pub(crate) widget_id: String,
    pub(crate) mode: Option<String>,
}

/// `user`'s mode for each widget of workspace `ws`, if they own it.
pub(crate) async fn settings(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
) -> Result<Vec<Setting>, sqlx::Error> {
    fetch!(tx, fetch_all, sqlx::query_as::<_, Setting>(
        "select i.id as instance_id, i.name, i.widget_id, s.mode from widget_instances i \
         join workspace_members m on m.workspace_id = i.workspace_id and m.user_id = $1 and m.role = 'owner' \
         left join notification_settings s on s.instance_id = i.id and s.user_id = $1 \
         where i.workspace_id = $2 order by i.created_at, i.id")
        .bind(user)
        .bind(ws))
}

/// Sets `user`'s mode for `instance` of workspace `ws` (the caller checked both).
pub(crate) async fn set(
    tx: &mut Tx,
    user: Uuid,
    ws: Uuid,
    instance: Uuid,
    mode: Mode,
) -> Result<(), sqlx::Error> {
    execute!(tx, sqlx::query(
        "insert into notification_settings (instance_id, user_id, workspace_id, mode, updated_at) \
         values ($1, $2, $3, $4, $5) on conflict (instance_id, user_id) \
         do update set mode = excluded.mode, updated_at = excluded.updated_at")
        .bind(instance)
        .bind(user)
        .bind(ws)
        .bind(mode.as_str())
        .bind(Ts::now()))?;
    Ok(())
}

/// Turns `user`'s notifications for `instance` off (the signed unsubscribe link; ck_system).
pub(crate) async fn unsubscribe(
    tx: &mut Tx,
    user: Uuid,
    instance: Uuid,
) -> Result<u64, sqlx::Error> {
    execute!(tx, sqlx::query(
        "update notification_settings set mode = 'none', updated_at = $3 where instance_id = $1 and user_id = $2")
        .bind(instance)
        .bind(user)
        .bind(Ts::now()))
}

/// One submission of a workspace `user` is a member of.
pub(crate) async fn member_submission(
    tx: &mut Tx,
    user: Uuid,
    id: Uuid,
) -> Result<Option<SubmissionRow>, sqlx::Error> {
    fetch!(tx, fetch_optional, sqlx::query_as::<_, SubmissionRow>(
        "select s.id, s.instance_id, s.data, s.created_at from submissions s \
         join workspace_members m on m.workspace_id = s.workspace_id and m.user_id = $1 where s.id = $2")
        .bind(user)
        .bind(id))
}
