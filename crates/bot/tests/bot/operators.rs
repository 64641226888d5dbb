//! The operator's side of the chat: invisible to everyone else; the dashboard and charts,
//! grants that reach the user, look-ups, and a broadcast that survives a restart within
//! Telegram's limits.

use crate::{ADMIN, Harness, SOON, both};
use neurocards_admin::render_dashboard;
use neurocards_core::UserId;
use neurocards_store::{Dialect, NewUser};
use neurocards_testkit::{Sent, media};
use std::time::Duration;

both!(
    admin_commands_do_nothing_for_other_users,
    the_dashboard_refreshes_and_draws_charts,
    grants_move_the_ledger_and_tell_the_user,
    a_broadcast_reaches_everyone_once_across_a_restart,
    one_broadcast_at_a_time_and_it_can_be_stopped,
);

/// A user the store already knows (met before this test's bot started).
async fn known_user(h: &Harness, id: i64) {
    let contact = NewUser {
        id: UserId(id),
        username: None,
        full_name: "Fan".into(),
        language: None,
        referral_code: None,
    };
    h.store.upsert_user(&contact, 2).await.expect("user");
}

/// The callback data of the preview's "send" button.
fn send_button(preview: &Sent) -> String {
    preview
        .callback_data()
        .into_iter()
        .find(|d| d.starts_with("adm:bc:go:"))
        .expect("a send button")
        .to_owned()
}

async fn admin_commands_do_nothing_for_other_users(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let eve = h.tg.user(8001).first_name("Eve").language_code(Some("en"));
    eve.send_command("start", None);
    h.expect_button(8001, "generate_neurocard").await;
    for command in ["/admin", "/grant 8001 100", "/user 8001", "/broadcast"] {
        eve.send_text(command);
        let answer = h.expect(8001, |m| !m.is_edit()).await;
        assert!(
            answer.text().contains("don't know this command"),
            "{command}: {}",
            answer.text()
        );
        assert!(!answer.callback_data().iter().any(|d| d.starts_with("adm:")));
    }
    // Pressing an admin button from someone else's screen does nothing either.
    eve.press_raw(1, "adm:bc:go:1");
    assert!(h.tg.wait_no_pending_updates(SOON).await);
    assert_eq!(h.balance(8001).await, 2);
    assert!(h.store.running_broadcast().await.expect("query").is_none());
    bot.stop().await;
}

async fn the_dashboard_refreshes_and_draws_charts(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let admin = h.tg.user(ADMIN).first_name("Op").language_code(Some("en"));
    for id in 8100..8105 {
        h.tg.user(id).first_name("U").send_command("start", None);
        h.expect_button(id, "generate_neurocard").await;
    }
    admin.send_command("admin", None);
    let dashboard = h.expect_text(ADMIN, "Dashboard").await;
    let expected = render_dashboard(&h.store.dashboard().await.expect("dashboard"));
    assert!(
        dashboard.text().contains(expected.trim()),
        "{}\n---\n{expected}",
        dashboard.text()
    );
    assert!(
        dashboard.text().contains("users     total 6, new today 6"),
        "{}",
        dashboard.text()
    );

    h.tg.user(8105)
        .first_name("Late")
        .send_command("start", None);
    h.expect_button(8105, "generate_neurocard").await;
    h.press(&admin, &dashboard, "adm:refresh");
    let refreshed = h
        .expect(ADMIN, |m| m.is_edit() && m.text().contains("total 7"))
        .await;
    assert_eq!(refreshed.message_id, dashboard.message_id);

    h.press(&admin, &dashboard, "adm:charts");
    for title in ["Generations", "New users", "Failures"] {
        let chart = h
            .expect(ADMIN, |m| {
                m.method == "sendPhoto" && m.text().contains(title)
            })
            .await;
        let file = chart.media.expect("a photo").file_id;
        let png = h.tg.file_bytes(&file).expect("stored");
        assert!(png.starts_with(b"\x89PNG"), "{title} is a PNG");
        assert_eq!(media::image_dimensions(&png), Some((800, 450)), "{title}");
    }
    bot.stop().await;
}

async fn grants_move_the_ledger_and_tell_the_user(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let anna =
        h.tg.user(8201)
            .first_name("Anna")
            .username("anna_k")
            .language_code(Some("ru"));
    anna.send_command("start", None);
    h.expect_button(8201, "generate_neurocard").await;
    let admin = h.tg.user(ADMIN).first_name("Op").language_code(Some("en"));

    admin.send_text("/grant @anna_k 5 contest prize");
    let done = h.expect_text(ADMIN, "User 8201").await;
    assert!(
        done.text()
            .contains("+5 credits (contest prize); balance now 7"),
        "{}",
        done.text()
    );
    h.expect_text(8201, "Вам начислено 5 кред. Баланс: 7").await;
    let ledger = h.store.ledger(UserId(8201), 10).await.expect("ledger");
    assert_eq!(
        (ledger[0].delta, ledger[0].reason.as_str()),
        (5, "contest prize")
    );
    assert_eq!(h.balance(8201).await, 7);

    // The same /grant delivered twice (a webhook retry) grants once.
    bot.stop().await;
    admin.send_text("/grant 8201 3 retried");
    let update = h
        .pending_update(|u| u["message"]["text"] == "/grant 8201 3 retried")
        .await;
    let app = h.app().await;
    app.handle_json(update.clone())
        .await
        .expect("first delivery");
    app.handle_json(update).await.expect("second delivery");
    assert_eq!(h.balance(8201).await, 10, "granted once");
    let bot = h.start().await;

    admin.send_text("/grant 8201 -100");
    h.expect_text(ADMIN, "-10 credits (grant); balance now 0")
        .await;
    assert_eq!(h.balance(8201).await, 0);

    for malformed in [
        "/grant",
        "/grant anna",
        "/grant 8201 lots",
        "/grant 8201 0",
        "/grant 8201 99999999999",
    ] {
        admin.send_text(malformed);
        h.expect_text(ADMIN, "Usage: /grant").await;
    }
    admin.send_text("/grant @nobody 5");
    h.expect_text(ADMIN, "No user @nobody").await;
    admin.send_text("/user anna_k");
    let report = h.expect_text(ADMIN, "user 8201 @anna_k").await;
    assert!(
        report.text().contains("+5 contest prize"),
        "{}",
        report.text()
    );
    bot.stop().await;
}

async fn a_broadcast_reaches_everyone_once_across_a_restart(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    // 200 users who have talked to the bot before; 10 of them have blocked it since.
    let mut last_update = 0;
    for id in 10_000..10_200 {
        last_update = h.tg.user(id).first_name("Fan").send_text("hi").update_id;
        known_user(&h, id).await;
    }
    let blocked: Vec<i64> = (10_000..10_200).step_by(20).collect();
    for id in &blocked {
        h.tg.block_user(*id);
    }
    // Those old "hi"s were answered long ago: confirm them, as the offset would have.
    let url = format!(
        "{}/bot{}/getUpdates?offset={}&timeout=0",
        h.tg.api_url(),
        h.tg.token(),
        last_update + 1
    );
    reqwest::get(url).await.expect("confirm old updates");
    h.tg.set_flood_limits(true);

    let bot = h.start().await;
    let admin = h.tg.user(ADMIN).first_name("Op").language_code(Some("en"));
    admin.send_command("broadcast", None);
    h.expect_text(ADMIN, "Send the message to broadcast").await;
    admin.send_text("📣 Big news: Reels now come in 10 seconds!");
    let preview = h.expect(ADMIN, |m| m.method == "copyMessage").await;
    assert_eq!(preview.text(), "📣 Big news: Reels now come in 10 seconds!");
    let confirm = h.expect_text(ADMIN, "goes to 201 users").await;
    let go = send_button(&confirm);
    h.press(&admin, &confirm, &go);
    h.expect_text(ADMIN, "started to 201 users").await;

    // A restart in the middle: the new process resumes from the store.
    assert!(h.tg.wait_calls("copyMessage", 60, SOON).await.is_some());
    bot.stop().await;
    let resumed = h.start().await;
    let report =
        h.tg.wait_for(
            ADMIN,
            |m| m.text().contains("finished"),
            Duration::from_secs(60),
        )
        .await
        .expect("the report");
    assert!(
        report
            .text()
            .contains("sent 191, blocked 10, failed 0 (of 201)"),
        "{}",
        report.text()
    );
    for id in 10_000..10_200 {
        let copies =
            h.tg.sent(id)
                .iter()
                .filter(|m| m.method == "copyMessage")
                .count();
        let expected = usize::from(!blocked.contains(&id));
        assert_eq!(copies, expected, "user {id}");
    }
    for id in &blocked {
        let user = h
            .store
            .user(UserId(*id))
            .await
            .expect("query")
            .expect("user");
        assert!(user.blocked_at.is_some(), "{id} marked as blocked");
    }
    resumed.stop().await;
}

async fn one_broadcast_at_a_time_and_it_can_be_stopped(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    for id in 11_000..11_100 {
        known_user(&h, id).await;
    }
    let bot = h.start().await;
    let admin = h.tg.user(ADMIN).first_name("Op").language_code(Some("en"));
    admin.send_command("broadcast", None);
    h.expect_text(ADMIN, "Send the message to broadcast").await;
    admin.send_text("Hello everyone");
    let confirm = h.expect_text(ADMIN, "goes to 101 users").await;
    let go = send_button(&confirm);
    h.press(&admin, &confirm, &go);
    h.expect_text(ADMIN, "started to 101 users").await;

    // A second one cannot start while this one runs: /broadcast shows it instead.
    admin.send_command("broadcast", None);
    let running = h.expect_text(ADMIN, "is running").await;
    // A stale "send" (an old client still showing it) starts nothing either.
    admin.press_raw(confirm.message_id, &go);
    h.press(&admin, &running, "adm:bc:stop");
    let stopped = h
        .expect(ADMIN, |m| m.is_edit() && m.text().contains("stopped"))
        .await;
    assert!(stopped.text().contains("of 101"), "{}", stopped.text());
    let store = &h.store;
    assert!(store.running_broadcast().await.expect("query").is_none());
    let first = store
        .broadcast(1)
        .await
        .expect("query")
        .expect("the broadcast");
    assert_eq!(first.state, "cancelled");
    assert!(
        store.broadcast(2).await.expect("query").is_none(),
        "no second broadcast"
    );
    bot.stop().await;
}
