//! Bad and unexpected input: each gets its own clear answer and the same question again,
//! nothing is charged, /cancel leaves every step, and buttons that make no sense now are
//! answered and ignored.

use crate::{Harness, both};
use neurocards_store::Dialect;
use neurocards_testkit::media;

both!(
    unusable_pictures_are_refused_with_the_reason,
    texts_out_of_bounds_are_refused,
    cancel_leaves_every_step,
    unexpected_input_gets_a_helpful_answer,
);

async fn unusable_pictures_are_refused_with_the_reason(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let ann = h.tg.user(2001).first_name("Ann").language_code(Some("en"));
    ann.send_command("start", None);
    let menu = h.expect_button(2001, "generate_neurocard").await;
    h.press(&ann, &menu, "generate_neurocard");
    h.expect_text(2001, "Send a photo").await;

    ann.send_photo_bytes(media::JPEG_90, None).expect("photo");
    let small = h.expect_text(2001, "90×68").await;
    assert!(
        small.text().contains("Send a photo"),
        "the question comes again"
    );
    ann.send_document(media::PNG, "diagram.png", "image/png", None);
    h.expect_text(2001, "256×256").await;
    ann.send_document(media::GIF, "funny.gif", "image/gif", None);
    h.expect_text(2001, "Animated images").await;
    ann.send_document(
        b"%PDF-1.7 not an image",
        "notes.pdf",
        "application/pdf",
        None,
    );
    h.expect_text(2001, "JPEG, PNG or WebP").await;
    ann.send_sticker();
    h.expect_text(2001, "waiting for a photo").await;
    ann.send_voice();
    h.expect_text(2001, "waiting for a photo").await;

    // A good JPEG sent as a file is accepted.
    ann.send_document(media::JPEG, "cat.jpg", "image/jpeg", None);
    h.expect_text(2001, "describe the topic").await;
    assert_eq!(h.balance(2001).await, 2);
    assert!(h.jobs(2001).await.is_empty());
    bot.stop().await;
}

async fn texts_out_of_bounds_are_refused(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let ann = h.tg.user(2002).first_name("Ann").language_code(Some("en"));
    ann.send_command("start", None);
    let menu = h.expect_button(2002, "generate_reels").await;
    h.press(&ann, &menu, "generate_reels");
    h.expect_text(2002, "idea").await;
    ann.send_text("   ");
    h.expect_text(2002, "empty").await;
    ann.send_text(&"a".repeat(1001));
    h.expect_text(2002, "1001 characters").await;
    ann.send_photo(None);
    h.expect_text(2002, "waiting for a text").await;
    ann.send_text(&"b".repeat(1000));
    h.expect_button(2002, "skip_photo").await;
    assert!(h.jobs(2002).await.is_empty());
    bot.stop().await;
}

async fn cancel_leaves_every_step(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let ann = h.tg.user(2003).first_name("Ann").language_code(Some("en"));
    ann.send_command("start", None);
    let menu = h.expect_button(2003, "generate_neurocard").await;

    // Waiting for the photo, for the text, and at the confirmation (command and button).
    h.press(&ann, &menu, "generate_neurocard");
    h.expect_text(2003, "Send a photo").await;
    ann.send_command("cancel", None);
    h.expect_text(2003, "Cancelled: the neurocard").await;
    h.press(&ann, &menu, "generate_neurocard");
    ann.send_photo(None);
    h.expect_text(2003, "describe the topic").await;
    ann.send_command("cancel", None);
    h.expect_text(2003, "Cancelled: the neurocard").await;
    let confirmation = h.neurocard_confirmation(&ann, "Cancelled card").await;
    h.press(&ann, &confirmation, "cancel");
    let cancelled = h.expect_text(2003, "Cancelled: the neurocard").await;
    assert!(
        cancelled.callback_data().contains(&"generate_reels"),
        "back at the menu"
    );
    // The confirmation's buttons are dead now.
    h.press(&ann, &confirmation, "confirm");
    assert!(h.tg.wait_no_pending_updates(crate::SOON).await);

    // Reels: the idea and the first-frame steps.
    h.press(&ann, &menu, "generate_reels");
    h.expect_text(2003, "idea").await;
    ann.send_command("cancel", None);
    h.expect_text(2003, "Cancelled: the Reels clip").await;
    h.press(&ann, &menu, "generate_reels");
    ann.send_text("idea");
    h.expect_button(2003, "skip_photo").await;
    ann.send_command("cancel", None);
    h.expect_text(2003, "Cancelled: the Reels clip").await;

    ann.send_command("cancel", None);
    h.expect_text(2003, "nothing to cancel").await;
    assert!(h.jobs(2003).await.is_empty());
    assert_eq!(h.balance(2003).await, 2);
    bot.stop().await;
}

async fn unexpected_input_gets_a_helpful_answer(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let ann = h.tg.user(2004).first_name("Ann").language_code(Some("en"));
    ann.send_command("start", None);
    let menu = h.expect_button(2004, "generate_neurocard").await;

    ann.send_photo(None);
    h.expect_text(2004, "Nice photo").await;
    ann.send_text("hello?");
    h.expect_text(2004, "choose what to create").await;
    ann.send_command("admin", None);
    h.expect_text(2004, "don't know this command").await;
    ann.send_sticker();
    h.expect_text(2004, "choose what to create").await;
    ann.send_command("help", None);
    let help = h.expect_text(2004, "How it works").await;
    assert!(
        help.text()
            .contains("5 s — 1 credit(s), 10 s — 2 credit(s)"),
        "{}",
        help.text()
    );
    assert!(
        help.text().contains("@neuro_support"),
        "the support contact from the settings"
    );

    // Garbage callback data and an out-of-date button: answered, nothing else happens.
    let before = h.tg.sent(2004).len();
    let answers = h.tg.calls("answerCallbackQuery");
    ann.press_raw(menu.message_id, "no-such-action");
    h.press(&ann, &menu, "generate_neurocard");
    h.expect_text(2004, "Send a photo").await;
    assert_eq!(
        h.tg.sent(2004).len(),
        before + 1,
        "only the photo question was sent"
    );
    assert!(
        h.tg.wait_calls("answerCallbackQuery", answers + 2, crate::SOON)
            .await
            .is_some()
    );
    bot.stop().await;
}
