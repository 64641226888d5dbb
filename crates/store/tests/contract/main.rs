//! The store's contract: the same specification, run on PostgreSQL and on SQLite.
//!
//! Each module is one capability; each `async fn` in it takes a fresh [`Fixture`] and is run
//! once per backend by the `contract!` macro.

mod broadcasts;
mod charging;
mod dashboard;
mod dialogue;
mod ledger;
mod queue;
mod reports;
mod users;

use neurocards_core::{JobKind, ManualClock, UserId, VideoDuration};
use neurocards_store::scratch::ScratchDatabase;
use neurocards_store::{Dialect, NewJob, NewUser, Store};

/// A fresh, migrated store with a hand-moved clock.
pub struct Fixture {
    pub store: Store,
    pub clock: ManualClock,
    pub db: ScratchDatabase,
}

/// 2026-01-01T00:00:00Z, so day arithmetic in reports is easy to follow.
pub const START_MS: i64 = 1_767_225_600_000;

impl Fixture {
    pub async fn new(dialect: Dialect) -> Fixture {
        let db = ScratchDatabase::new(dialect)
            .await
            .expect("scratch database");
        let clock = ManualClock::new(START_MS);
        let store = Store::open(db.url())
            .await
            .expect("open store")
            .with_clock(clock.clone());
        Fixture { store, clock, db }
    }

    /// A second, independent handle on the same database (another process, in effect).
    pub async fn second_store(&self) -> Store {
        Store::connect(self.db.url())
            .await
            .expect("second store")
            .with_clock(self.clock.clone())
    }

    /// Registers a user who starts with `credits`.
    pub async fn user_with(&self, id: i64, credits: i64) -> UserId {
        let contact = self
            .store
            .upsert_user(&new_user(id), credits)
            .await
            .expect("upsert user");
        assert_eq!(contact.user.balance, credits);
        UserId(id)
    }
}

pub fn new_user(id: i64) -> NewUser {
    NewUser {
        id: UserId(id),
        username: Some(format!("user{id}")),
        full_name: format!("User {id}"),
        language: None,
        referral_code: None,
    }
}

pub fn neurocard(user: UserId, key: Option<&str>) -> NewJob {
    NewJob {
        user,
        chat_id: user.0,
        kind: JobKind::Neurocard,
        prompt: "photosynthesis in a leaf".to_owned(),
        input_file_id: Some("photo-file-id".to_owned()),
        duration: VideoDuration::S5,
        cost: 1,
        idempotency_key: key.map(str::to_owned),
        max_attempts: 3,
    }
}

/// Runs each listed contract once on PostgreSQL and once on SQLite.
#[macro_export]
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::Fixture::new(neurocards_store::Dialect::Postgres).await).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::Fixture::new(neurocards_store::Dialect::Sqlite).await).await;
                }
            )*
        }
    };
}
