//! The bot's specification, run against the testkit's Telegram fake over real HTTP, on
//! PostgreSQL and on SQLite. Each module is one capability; `both!` runs each case once per
//! backend.

mod cabinet;
mod flows;
mod inputs;
mod operators;
mod restart;
mod welcome;

use neurocards_bot::{BotApp, BotSettings, admin, polling};
use neurocards_core::config::{Config, Needs};
use neurocards_core::metrics::Metrics;
use neurocards_ephemeral::Ephemeral;
use neurocards_store::scratch::ScratchDatabase;
use neurocards_store::{Dialect, Job, Store};
use neurocards_testkit::{FakeTelegram, Sent, SimUser};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Long enough for any answer on a loaded CI machine; waits end as soon as it arrives.
pub const SOON: Duration = Duration::from_secs(15);

/// The operator's Telegram id in these tests.
pub const ADMIN: i64 = 9001;

/// A database, the Telegram fake, and the settings pointing at it.
pub struct Harness {
    pub store: Store,
    pub tg: FakeTelegram,
    pub config: Config,
    _db: ScratchDatabase,
}

/// A bot polling the fake, with its broadcast runner, as `neurocards bot` runs them.
pub struct Running {
    pub app: BotApp,
    stop: CancellationToken,
    handles: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops polling and the broadcast runner; the work in hand is finished first.
    pub async fn stop(self) {
        self.stop.cancel();
        for handle in self.handles {
            tokio::time::timeout(SOON, handle)
                .await
                .expect("the bot stops in time")
                .expect("bot task");
        }
    }
}

impl Harness {
    pub async fn new(dialect: Dialect) -> Harness {
        let db = ScratchDatabase::new(dialect)
            .await
            .expect("scratch database");
        let store = Store::open(db.url()).await.expect("store");
        let tg = FakeTelegram::start().await;
        let vars = [
            ("BOT_TOKEN", tg.token().to_owned()),
            ("TELEGRAM_API_URL", tg.api_url()),
            ("DEFAULT_LANGUAGE", "en".to_owned()),
            ("SUPPORT_CONTACT", "@neuro_support".to_owned()),
            ("ADMIN_IDS", ADMIN.to_string()),
        ];
        let config = Config::from_lookup(Needs { bot_token: true }, |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("config");
        Harness {
            store,
            tg,
            config,
            _db: db,
        }
    }

    /// The bot's settings unpaced, so tests run at full speed (the pacing has unit tests).
    pub fn settings(&self) -> BotSettings {
        BotSettings {
            pacing: None,
            ..BotSettings::from_config(&self.config)
        }
    }

    /// A bot that is not polling (the test hands it updates itself).
    pub async fn app(&self) -> BotApp {
        self.app_with(self.settings()).await
    }

    pub async fn app_with(&self, settings: BotSettings) -> BotApp {
        BotApp::new(
            &self.config,
            self.store.clone(),
            Ephemeral::local(),
            Metrics::new(),
            settings,
        )
        .await
        .expect("bot starts")
    }

    /// A bot polling the fake.
    pub async fn start(&self) -> Running {
        self.run(self.app().await)
    }

    pub fn run(&self, app: BotApp) -> Running {
        let stop = CancellationToken::new();
        let handles = vec![
            tokio::spawn(polling::run(app.clone(), stop.clone())),
            tokio::spawn(admin::run_broadcasts(app.clone(), stop.clone())),
        ];
        Running { app, stop, handles }
    }

    /// The next message to `chat` matching `predicate`; fails with the transcript.
    pub async fn expect(&self, chat: i64, predicate: impl Fn(&Sent) -> bool) -> Sent {
        match self.tg.wait_for(chat, predicate, SOON).await {
            Ok(sent) => sent,
            Err(error) => panic!("{error}"),
        }
    }

    /// The next message to `chat` whose text contains `needle`.
    pub async fn expect_text(&self, chat: i64, needle: &str) -> Sent {
        self.expect(chat, |m| m.text().contains(needle)).await
    }

    /// The next message to `chat` with a button carrying `data`.
    pub async fn expect_button(&self, chat: i64, data: &str) -> Sent {
        self.expect(chat, |m| m.callback_data().contains(&data))
            .await
    }

    /// Presses `data` on `message` and fails the test if the fake refuses the press.
    pub fn press(&self, user: &SimUser, message: &Sent, data: &str) {
        user.press(message.message_id, data)
            .expect("the button exists");
    }

    /// /start, then the neurocard flow up to the confirmation message.
    pub async fn neurocard_confirmation(&self, user: &SimUser, text: &str) -> Sent {
        let chat = user.id();
        user.send_command("start", None);
        let menu = self.expect_button(chat, "generate_neurocard").await;
        self.press(user, &menu, "generate_neurocard");
        self.expect_text(chat, "Send a photo").await;
        user.send_photo(None);
        self.expect_text(chat, "describe the topic").await;
        user.send_text(text);
        self.expect_button(chat, "confirm").await
    }

    /// The JSON of a pending update matching `predicate`, as Telegram would POST it to a
    /// webhook (no bot may be polling).
    pub async fn pending_update(
        &self,
        predicate: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let url = format!("{}/bot{}/getUpdates", self.tg.api_url(), self.tg.token());
        let updates: serde_json::Value = reqwest::get(url)
            .await
            .expect("getUpdates")
            .json()
            .await
            .expect("json");
        updates["result"]
            .as_array()
            .and_then(|all| all.iter().find(|u| predicate(u)))
            .cloned()
            .expect("a pending update")
    }

    /// Every job of a user, newest first.
    pub async fn jobs(&self, user: i64) -> Vec<Job> {
        self.store
            .history(neurocards_core::UserId(user), 0, 100)
            .await
            .expect("history")
    }

    pub async fn balance(&self, user: i64) -> i64 {
        self.store
            .balance(neurocards_core::UserId(user))
            .await
            .expect("balance")
    }
}

/// Runs each listed case once on PostgreSQL and once on SQLite.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(neurocards_store::Dialect::Postgres).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(neurocards_store::Dialect::Sqlite).await;
                }
            )*
        }
    };
}
