//! Every step of a flow is stored: a new bot process on the same database carries on, and
//! a user who floods is answered once and then ignored without slowing anyone else.

use crate::{Harness, both};
use neurocards_bot::BotSettings;
use neurocards_bot::flood::FloodLimits;
use neurocards_store::Dialect;
use std::time::Duration;

both!(
    a_flow_survives_a_restart,
    a_flooding_user_is_paused_alone,
    a_broken_database_gets_an_apology_not_silence,
);

async fn a_flow_survives_a_restart(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let first = h.start().await;
    let ann = h.tg.user(4001).first_name("Ann").language_code(Some("en"));
    ann.send_command("start", None);
    let menu = h.expect_button(4001, "generate_neurocard").await;
    h.press(&ann, &menu, "generate_neurocard");
    h.expect_text(4001, "Send a photo").await;
    ann.send_photo(None);
    h.expect_text(4001, "describe the topic").await;
    first.stop().await;

    // A new process: the text answers the question the old one asked.
    let second = h.start().await;
    ann.send_text("Continued after a restart");
    let confirmation = h.expect_button(4001, "confirm").await;
    second.stop().await;
    let third = h.start().await;
    h.press(&ann, &confirmation, "confirm");
    h.expect_text(4001, "in the queue").await;
    let jobs = h.jobs(4001).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].user_prompt, "Continued after a restart");
    assert!(jobs[0].input_file_id.is_some());
    third.stop().await;
}

async fn a_flooding_user_is_paused_alone(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let settings = BotSettings {
        flood: FloodLimits {
            max_updates: 5,
            window: Duration::from_secs(60),
            pause: Duration::from_secs(60),
        },
        ..h.settings()
    };
    let bot = h.run(h.app_with(settings).await);
    let spammer = h.tg.user(4002).first_name("Spam").language_code(Some("en"));
    let calm = h.tg.user(4003).first_name("Calm").language_code(Some("en"));
    for n in 0..12 {
        spammer.send_text(&format!("spam {n}"));
    }
    calm.send_command("start", None);
    h.expect_button(4003, "generate_neurocard").await;
    assert!(h.tg.wait_no_pending_updates(crate::SOON).await);
    h.expect_text(4002, "Too many messages").await;
    let sent = h.tg.sent(4002);
    assert_eq!(sent.len(), 6, "five answers and one warning: {sent:?}");
    assert_eq!(
        sent.iter()
            .filter(|m| m.text().contains("Too many"))
            .count(),
        1
    );
    bot.stop().await;
}

async fn a_broken_database_gets_an_apology_not_silence(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let ann = h.tg.user(4004).first_name("Ann").language_code(Some("en"));
    ann.send_command("start", None);
    let menu = h.expect_button(4004, "generate_neurocard").await;
    // The bot shares this pool: closed, every query fails.
    h.store.close().await;
    ann.send_command("cabinet", None);
    h.expect_text(4004, "Something went wrong on our side")
        .await;
    // A button pressed now still stops spinning, and the user hears the same.
    let answered = h.tg.calls("answerCallbackQuery");
    h.press(&ann, &menu, "cabinet");
    h.expect_text(4004, "Something went wrong on our side")
        .await;
    assert!(
        h.tg.wait_calls("answerCallbackQuery", answered + 1, crate::SOON)
            .await
            .is_some()
    );
    bot.stop().await;
}
