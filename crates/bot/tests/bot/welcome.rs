//! The welcome: the video by file id or uploaded once from a file and then re-used, the
//! command menu in both languages, and Telegram's 429 waited out.

use crate::{Harness, both};
use neurocards_bot::BotSettings;
use neurocards_store::Dialect;
use neurocards_testkit::media;
use neurocards_testkit::telegram::MediaSource;
use teloxide::prelude::*;
use teloxide::types::InputFile;

both!(
    the_welcome_video_is_uploaded_once_then_sent_by_file_id,
    a_configured_file_id_is_sent_as_it_is,
    commands_are_registered_in_both_languages,
    a_rate_limited_answer_is_retried,
);

async fn the_welcome_video_is_uploaded_once_then_sent_by_file_id(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("welcome.mp4");
    std::fs::write(&path, media::MP4).expect("write the video");
    let settings = BotSettings {
        welcome_video_path: Some(path),
        ..h.settings()
    };
    let bot = h.run(h.app_with(settings).await);

    h.tg.user(5101)
        .first_name("Ann")
        .language_code(Some("en"))
        .send_command("start", None);
    let first = h.expect(5101, |m| m.method == "sendVideo").await;
    assert!(
        first.text().contains("2 free credits"),
        "the welcome is the caption"
    );
    let uploaded = first.media.clone().expect("a video");
    assert!(
        matches!(uploaded.source, MediaSource::Upload { .. }),
        "{uploaded:?}"
    );
    h.expect_button(5101, "generate_neurocard").await;

    h.tg.user(5102)
        .first_name("Bob")
        .language_code(Some("en"))
        .send_command("start", None);
    let second = h.expect(5102, |m| m.method == "sendVideo").await;
    assert_eq!(
        second.media.expect("a video").source,
        MediaSource::FileId(uploaded.file_id),
        "the cached file id, no second upload"
    );
    // A returning user is greeted without the video.
    h.tg.user(5101).send_command("start", None);
    h.expect_text(5101, "Welcome back").await;
    assert_eq!(h.tg.calls("sendVideo"), 2);
    bot.stop().await;
}

async fn a_configured_file_id_is_sent_as_it_is(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.tg.user(5103).first_name("Ann").send_text("hello");
    let uploader = Bot::new(h.tg.token()).set_api_url(h.tg.api_url().parse().expect("url"));
    let message = uploader
        .send_video(
            ChatId(5103),
            InputFile::memory(media::MP4).file_name("w.mp4"),
        )
        .await
        .expect("upload");
    let file_id = message.video().expect("video").file.id.0.clone();
    let settings = BotSettings {
        welcome_video_file_id: Some(file_id.clone()),
        ..h.settings()
    };
    let bot = h.run(h.app_with(settings).await);
    h.tg.user(5104)
        .first_name("Kim")
        .language_code(Some("en"))
        .send_command("start", None);
    let welcome = h.expect(5104, |m| m.method == "sendVideo").await;
    assert_eq!(
        welcome.media.expect("video").source,
        MediaSource::FileId(file_id)
    );
    bot.stop().await;
}

async fn commands_are_registered_in_both_languages(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.app()
        .await
        .register_commands()
        .await
        .expect("setMyCommands");
    let calls = h.tg.requests("setMyCommands");
    let language = |call: &serde_json::Value| call["language_code"].as_str().map(str::to_owned);
    let languages: Vec<Option<String>> = calls.iter().map(language).collect();
    assert!(languages.contains(&Some("ru".into())), "{calls:?}");
    assert!(languages.contains(&Some("en".into())), "{calls:?}");
    assert!(
        languages.contains(&None),
        "a default for other languages: {calls:?}"
    );
    let russian = calls
        .iter()
        .find(|c| language(c).as_deref() == Some("ru"))
        .expect("ru");
    let text = russian["commands"].to_string();
    assert!(
        text.contains("cabinet") && text.contains("Баланс"),
        "{text}"
    );
}

async fn a_rate_limited_answer_is_retried(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    h.tg.rate_limit_next(1, 1);
    h.tg.user(5105)
        .first_name("Ann")
        .language_code(Some("en"))
        .send_command("start", None);
    h.expect_button(5105, "generate_neurocard").await;
    bot.stop().await;
}
