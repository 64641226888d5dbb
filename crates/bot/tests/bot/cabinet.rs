//! The cabinet (history, instant re-sends by file id, language), referrals, and the
//! language chosen from Telegram's `language_code`.

use crate::{Harness, both};
use neurocards_core::{JobKind, Language, UserId, VideoDuration};
use neurocards_store::{ChargeOutcome, Dialect, NewJob};
use neurocards_testkit::telegram::MediaSource;
use std::time::Duration;
use teloxide::prelude::*;
use teloxide::types::InputFile;

both!(
    cabinet_lists_history_and_resends_by_file_id,
    the_history_pages_ten_at_a_time,
    language_follows_telegram_and_the_cabinet_switch,
    referrals_link_new_users_only,
);

async fn cabinet_lists_history_and_resends_by_file_id(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let ann = h.tg.user(3001).first_name("Ann").language_code(Some("en"));
    ann.send_command("start", None);
    h.expect_button(3001, "generate_neurocard").await;

    // Two generations: the older failed (refunded), the newer delivered with a file id
    // that Telegram knows (uploaded once, as the worker does).
    let store = &h.store;
    let mut ids = Vec::new();
    for prompt in ["an old idea", "a delivered idea"] {
        let job = match store
            .create_job_and_charge(&NewJob {
                user: UserId(3001),
                chat_id: 3001,
                kind: JobKind::Reels,
                prompt: prompt.into(),
                input_file_id: None,
                duration: VideoDuration::S5,
                cost: 1,
                idempotency_key: None,
                max_attempts: 3,
            })
            .await
            .expect("charge")
        {
            ChargeOutcome::Created(job) => job,
            other => panic!("{other:?}"),
        };
        ids.push(job.id);
    }
    let first = store
        .claim("test", Duration::from_secs(60))
        .await
        .expect("claim")
        .expect("a job");
    store
        .finish_failed(first.id, Some("test"), "internal", "test failure")
        .await
        .expect("fail");
    let second = store
        .claim("test", Duration::from_secs(60))
        .await
        .expect("claim")
        .expect("a job");
    let uploader = Bot::new(h.tg.token()).set_api_url(h.tg.api_url().parse().expect("url"));
    let video = uploader
        .send_video(
            ChatId(3001),
            InputFile::memory(neurocards_testkit::media::MP4).file_name("v.mp4"),
        )
        .await
        .expect("upload");
    let file_id = video.video().expect("a video").file.id.0.clone();
    let lease = neurocards_store::Lease {
        job: second.id,
        owner: "test".into(),
    };
    store
        .finish_ok(&lease, "https://cdn.example/v.mp4", &file_id)
        .await
        .expect("done");

    ann.send_command("cabinet", None);
    let cabinet = h.expect_text(3001, "Cabinet").await;
    let text = cabinet.text();
    assert!(text.contains("Balance: 1 credits"), "{text}");
    assert!(text.contains("1 made, 0 in progress, 1 failed"), "{text}");
    let newer = text.find("a delivered idea").expect("newest listed");
    let older = text.find("an old idea").expect("older listed");
    assert!(newer < older, "newest first: {text}");
    assert!(
        text.contains("https://t.me/neurocards_test_bot?start=ref_"),
        "{text}"
    );
    let resend = format!("resend:{}", ids[1]);
    assert!(cabinet.callback_data().contains(&resend.as_str()));
    assert!(
        !cabinet
            .callback_data()
            .contains(&format!("resend:{}", ids[0]).as_str()),
        "no video, no button"
    );

    let uploads_before = h.tg.calls("sendVideo");
    h.press(&ann, &cabinet, &resend);
    let sent = h.expect(3001, |m| m.method == "sendVideo").await;
    let media = sent.media.clone().expect("a video");
    assert_eq!(
        media.source,
        MediaSource::FileId(file_id),
        "re-sent by file id, not uploaded"
    );
    assert!(sent.callback_data().contains(&"again:reels"));
    assert!(sent.callback_data().contains(&"back_to_menu"));
    assert_eq!(h.tg.calls("sendVideo"), uploads_before + 1);

    // Someone else's job cannot be re-sent.
    let bob = h.tg.user(3002).first_name("Bob").language_code(Some("en"));
    bob.send_command("cabinet", None);
    let his = h.expect_text(3002, "Cabinet").await;
    bob.press_raw(his.message_id, &resend);
    assert!(h.tg.wait_no_pending_updates(crate::SOON).await);
    assert!(h.tg.sent(3002).iter().all(|m| m.method != "sendVideo"));
    bot.stop().await;
}

async fn the_history_pages_ten_at_a_time(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let ann = h.tg.user(3020).first_name("Ann").language_code(Some("en"));
    ann.send_command("start", None);
    h.expect_button(3020, "generate_neurocard").await;
    h.store
        .grant(UserId(3020), 10, "test", None)
        .await
        .expect("grant");
    for n in 1..=12 {
        let request = NewJob {
            user: UserId(3020),
            chat_id: 3020,
            kind: JobKind::Neurocard,
            prompt: format!("topic number {n}"),
            input_file_id: Some("photo".into()),
            duration: VideoDuration::S5,
            cost: 1,
            idempotency_key: None,
            max_attempts: 3,
        };
        h.store.create_job_and_charge(&request).await.expect("job");
    }
    ann.send_command("cabinet", None);
    let first = h.expect_text(3020, "Cabinet").await;
    assert!(first.text().contains("topic number 12") && first.text().contains("topic number 3"));
    assert!(
        !first.text().contains("topic number 2:") && !first.text().contains("topic number 2\n")
    );
    assert_eq!(first.text().matches("topic number").count(), 10);
    assert!(
        first.callback_data().contains(&"cabinet:1"),
        "an older page"
    );
    h.press(&ann, &first, "cabinet:1");
    let older = h
        .expect(3020, |m| m.is_edit() && m.text().contains("topic number 1"))
        .await;
    assert_eq!(older.message_id, first.message_id, "paged in place");
    assert_eq!(older.text().matches("topic number").count(), 2);
    assert!(
        older.callback_data().contains(&"cabinet:0"),
        "back to newer"
    );
    assert!(!older.callback_data().contains(&"cabinet:2"));
    bot.stop().await;
}

async fn language_follows_telegram_and_the_cabinet_switch(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let ivan = h.tg.user(3003).first_name("Ivan").language_code(Some("ru"));
    ivan.send_command("start", None);
    h.expect_text(3003, "Привет, Ivan").await;
    let menu = h.expect_button(3003, "generate_neurocard").await;
    assert!(menu.text().contains("Баланс: 2"));

    let jane =
        h.tg.user(3004)
            .first_name("Jane")
            .language_code(Some("en-GB"));
    jane.send_command("start", None);
    h.expect_text(3004, "Hi, Jane").await;

    // A language we do not speak gets DEFAULT_LANGUAGE (English in these tests).
    let hans = h.tg.user(3005).first_name("Hans").language_code(Some("de"));
    hans.send_command("start", None);
    h.expect_text(3005, "Hi, Hans").await;

    h.press(&ivan, &menu, "cabinet");
    let cabinet = h.expect_text(3003, "Кабинет").await;
    h.press(&ivan, &cabinet, "lang:en");
    let switched = h
        .expect(3003, |m| m.is_edit() && m.text().contains("Cabinet"))
        .await;
    assert!(switched.callback_data().contains(&"lang:ru"));
    let user = h
        .store
        .user(UserId(3003))
        .await
        .expect("user")
        .expect("exists");
    assert_eq!(user.language, Some(Language::En));
    ivan.send_command("menu", None);
    h.expect_text(3003, "What shall we make?").await;
    bot.stop().await;
}

async fn referrals_link_new_users_only(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let ann = h.tg.user(3010).first_name("Ann").language_code(Some("en"));
    ann.send_command("start", None);
    h.expect_button(3010, "generate_neurocard").await;
    let ann_code = h
        .store
        .user(UserId(3010))
        .await
        .expect("user")
        .expect("ann")
        .referral_code;

    let bob = h.tg.user(3011).first_name("Bob").language_code(Some("en"));
    bob.send_command("start", Some(&format!("ref_{ann_code}")));
    h.expect_button(3011, "generate_neurocard").await;
    let bob_row = h
        .store
        .user(UserId(3011))
        .await
        .expect("user")
        .expect("bob");
    assert_eq!(bob_row.referrer, Some(UserId(3010)));

    // Ann, not new, follows Bob's link: no re-linking; her own link does nothing either.
    ann.send_command("start", Some(&format!("ref_{}", bob_row.referral_code)));
    h.expect_text(3010, "Welcome back").await;
    ann.send_command("start", Some(&format!("ref_{ann_code}")));
    h.expect_text(3010, "Welcome back").await;
    let ann_row = h
        .store
        .user(UserId(3010))
        .await
        .expect("user")
        .expect("ann");
    assert_eq!(ann_row.referrer, None);
    assert_eq!(ann_row.balance, 2, "free credits once");
    assert_eq!(
        h.store.referral_count(UserId(3010)).await.expect("count"),
        1
    );
    bot.stop().await;
}
