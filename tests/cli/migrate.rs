//! `neurocards migrate` prepares either backend.

use crate::neurocards;
use neurocards_store::scratch::ScratchDatabase;

#[test]
fn migrate_creates_the_default_sqlite_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = neurocards(dir.path(), &["migrate"], &[]);
    assert!(output.status.success(), "{output:?}");
    assert!(dir.path().join("data/neurocards.db").is_file());
    // Running it again is a no-op that still succeeds.
    assert!(neurocards(dir.path(), &["migrate"], &[]).status.success());
}

#[tokio::test]
async fn migrate_prepares_postgres() {
    let db = ScratchDatabase::postgres().await.expect("scratch database");
    let url = match db.url() {
        neurocards_core::config::DatabaseUrl::Postgres(url) => url.expose().to_owned(),
        other => panic!("{other:?}"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let output = neurocards(dir.path(), &["migrate"], &[("DATABASE_URL", url.as_str())]);
    assert!(output.status.success(), "{output:?}");
    let store = neurocards_store::Store::connect(db.url())
        .await
        .expect("connect");
    assert_eq!(
        store
            .job_counts(0)
            .await
            .expect("jobs table exists")
            .total(),
        0
    );
    store.close().await;
}
