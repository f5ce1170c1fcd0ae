//! Store conformance suite: the same assertions against SQLite and a fresh Postgres database, so the
//! SQLite query-layer scoping and Postgres RLS give callers identical behaviour.

use sqlx::{Connection as _, Executor as _, PgConnection};
use time::Duration;
use uuid::Uuid;

use super::{Actor, Db, Ts};
use crate::config::Config;
use crate::{
    users::db as users,
    workspaces::{db as workspaces, NewInstance},
};

fn pg_base() -> String {
    std::env::var("CK_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

fn member(id: Uuid) -> Actor {
    Actor::User {
        claims: serde_json::json!({"sub": id, "role": "authenticated", "aud": "authenticated"}),
    }
}

async fn suite(db: &Db) {
    let now = Ts::now();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let (ws_a, ws_b) = (Uuid::new_v4(), Uuid::new_v4());

    let mut tx = db.begin(&Actor::Auth).await.expect("begin");
    assert!(
        users::insert_user(&mut tx, a, "a@example.com", Some("hash"), now)
            .await
            .expect("insert")
    );
    assert!(users::insert_user(&mut tx, b, "b@example.com", None, now)
        .await
        .expect("insert"));
    assert!(
        !users::insert_user(&mut tx, Uuid::new_v4(), "a@example.com", None, now)
            .await
            .expect("dup")
    );
    let found = users::find_by_email(&mut tx, "a@example.com")
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(
        (found.id, found.password_hash.as_deref()),
        (a, Some("hash"))
    );
    workspaces::create(&mut tx, ws_a, "A", a, now)
        .await
        .expect("ws a");
    workspaces::create(&mut tx, ws_b, "B", b, now)
        .await
        .expect("ws b");
    tx.commit().await.expect("commit");

    // Reads are scoped to the caller's memberships.
    let mut tx = db.begin(&member(a)).await.expect("begin");
    let list = workspaces::list(&mut tx, a).await.expect("list");
    assert_eq!(
        list.iter()
            .map(|w| (w.id, w.role.as_str()))
            .collect::<Vec<_>>(),
        [(ws_a, "owner")]
    );
    assert_eq!(list[0].created_at, now, "timestamps round-trip exactly");
    assert!(workspaces::get(&mut tx, a, ws_b)
        .await
        .expect("get")
        .is_none());
    let inst_a = Uuid::new_v4();
    let config = serde_json::json!({"title": "Hi", "fields": [1, 2]});
    assert!(workspaces::create_instance(
        &mut tx,
        a,
        ws_a,
        &NewInstance {
            id: inst_a,
            widget: "form",
            name: "Contact",
            config: &config
        },
        now
    )
    .await
    .expect("create"));
    assert!(
        !workspaces::create_instance(
            &mut tx,
            a,
            ws_b,
            &NewInstance {
                id: Uuid::new_v4(),
                widget: "form",
                name: "Intruder",
                config: &config
            },
            now
        )
        .await
        .expect("create elsewhere"),
        "writing into another workspace writes nothing"
    );
    tx.commit().await.expect("commit");

    let mut tx = db.begin(&member(b)).await.expect("begin");
    let inst_b = Uuid::new_v4();
    assert!(workspaces::create_instance(
        &mut tx,
        b,
        ws_b,
        &NewInstance {
            id: inst_b,
            widget: "form",
            name: "B form",
            config: &config
        },
        now
    )
    .await
    .expect("create"));
    tx.commit().await.expect("commit");

    let mut tx = db.begin(&member(a)).await.expect("begin");
    let mine = workspaces::instances(&mut tx, a, ws_a)
        .await
        .expect("instances");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].config.0, config);
    assert!(workspaces::instances(&mut tx, a, ws_b)
        .await
        .expect("instances")
        .is_empty());
    assert!(workspaces::instance(&mut tx, inst_b, Some(a))
        .await
        .expect("instance")
        .is_none());
    assert!(
        !workspaces::rename_instance(&mut tx, a, inst_b, "pwned", now)
            .await
            .expect("rename")
    );
    assert!(!workspaces::delete_instance(&mut tx, a, inst_b)
        .await
        .expect("delete"));
    assert!(!workspaces::rename(&mut tx, a, ws_b, "pwned")
        .await
        .expect("rename ws"));
    assert!(
        workspaces::rename_instance(&mut tx, a, inst_a, "Renamed", now)
            .await
            .expect("rename own")
    );
    tx.commit().await.expect("commit");

    let mut tx = db.begin(&member(b)).await.expect("begin");
    let theirs = workspaces::instance(&mut tx, inst_b, Some(b))
        .await
        .expect("instance")
        .expect("still there");
    assert_eq!(theirs.name, "B form");
    assert_eq!(
        workspaces::get(&mut tx, b, ws_b)
            .await
            .expect("get")
            .map(|w| w.name),
        Some("B".into())
    );
    tx.commit().await.expect("commit");

    // The system path (embed, submissions) finds any instance, whoever's it is.
    let mut tx = db.begin(&Actor::System).await.expect("begin");
    let seen = workspaces::instance(&mut tx, inst_b, None)
        .await
        .expect("instance")
        .map(|i| (i.name, i.workspace_id));
    assert_eq!(seen, Some(("B form".into(), Some(ws_b))));
    tx.commit().await.expect("commit");

    // Sessions and single-use secrets.
    let mut tx = db.begin(&Actor::Auth).await.expect("begin");
    let session = Uuid::new_v4();
    users::insert_session(&mut tx, session, a, now, now.plus(Duration::days(1)))
        .await
        .expect("session");
    users::insert_refresh_token(&mut tx, session, b"r1", now, now.plus(Duration::days(1)))
        .await
        .expect("refresh");
    assert_eq!(
        users::use_refresh_token(&mut tx, b"r1", now)
            .await
            .expect("use"),
        users::RefreshUse::Fresh {
            session,
            user: a,
            email: "a@example.com".into()
        }
    );
    assert_eq!(
        users::use_refresh_token(&mut tx, b"r1", now)
            .await
            .expect("reuse"),
        users::RefreshUse::Reused {
            session,
            used_at: now
        }
    );
    assert_eq!(
        users::use_refresh_token(&mut tx, b"nope", now)
            .await
            .expect("unknown"),
        users::RefreshUse::Invalid
    );
    assert_eq!(
        users::session_active(&mut tx, session, now)
            .await
            .expect("active"),
        Some(true)
    );
    users::revoke_session(&mut tx, session, now)
        .await
        .expect("revoke");
    assert_eq!(
        users::session_active(&mut tx, session, now)
            .await
            .expect("active"),
        Some(false)
    );
    assert_eq!(
        users::session_active(&mut tx, Uuid::new_v4(), now)
            .await
            .expect("active"),
        None
    );

    users::insert_magic_link(
        &mut tx,
        "a@example.com",
        users::Purpose::Signin,
        None,
        b"m1",
        now,
        now.plus(Duration::hours(1)),
    )
    .await
    .expect("link");
    users::insert_magic_link(
        &mut tx,
        "a@example.com",
        users::Purpose::EmailChange,
        Some(a),
        b"m2",
        now,
        now.plus(Duration::seconds(-1)),
    )
    .await
    .expect("link");
    assert_eq!(
        users::last_magic_link_at(&mut tx, "a@example.com")
            .await
            .expect("last"),
        Some(now)
    );
    assert_eq!(
        users::consume_magic_link(&mut tx, b"m1", now)
            .await
            .expect("consume")
            .map(|l| (l.email, l.purpose, l.user)),
        Some(("a@example.com".to_owned(), users::Purpose::Signin, None))
    );
    assert!(
        users::consume_magic_link(&mut tx, b"m1", now)
            .await
            .expect("again")
            .is_none(),
        "single use"
    );
    assert!(
        users::consume_magic_link(&mut tx, b"m2", now)
            .await
            .expect("expired")
            .is_none(),
        "expired"
    );
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn sqlite_store_conforms() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let db = Db::connect(&Config::for_tests(dir.path()))
        .await
        .expect("connect");
    suite(&db).await;
    db.close().await;
}

#[tokio::test]
async fn postgres_store_conforms() {
    let admin = format!("{}/postgres", pg_base());
    let mut conn = match PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) if std::env::var_os("CI").is_some() => panic!("Postgres unreachable under CI: {e}"),
        Err(e) => {
            eprintln!("skipping Postgres conformance: {e}");
            return;
        }
    };
    let name = format!("ck_conf_{}", Uuid::new_v4().simple());
    conn.execute(format!("create database {name}").as_str())
        .await
        .expect("create database");
    let dir = tempfile::TempDir::new().expect("temp dir");
    let mut config = Config::for_tests(dir.path());
    config.database_url = format!("{}/{name}", pg_base());
    config.database_app_url = Some(format!(
        "{}/{name}",
        pg_base().replace("postgres@", "ck_app@")
    ));
    let db = Db::connect(&config).await.expect("connect");
    suite(&db).await;
    db.close().await;
    conn.execute(format!("drop database {name} with (force)").as_str())
        .await
        .expect("drop");
}
