//! Making videos: a new user's neurocards until the credits run out, a Reels clip with and
//! without a photo, and double taps that must never charge twice.

use crate::{Harness, both};
use neurocards_core::{JobKind, JobState};
use neurocards_store::Dialect;

both!(
    new_user_makes_neurocards_until_the_credits_run_out,
    reels_from_text_and_from_a_first_frame,
    double_taps_on_confirm_charge_once,
    a_redelivered_confirm_update_charges_once,
    only_the_latest_confirmation_acts,
);

async fn new_user_makes_neurocards_until_the_credits_run_out(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let ann = h.tg.user(1001).first_name("Ann").language_code(Some("en"));

    let confirmation = h
        .neurocard_confirmation(&ann, "How photosynthesis works")
        .await;
    let welcome = h.tg.sent(1001);
    assert!(
        welcome[0].text().contains("2 free credits"),
        "{}",
        welcome[0].text()
    );
    assert!(confirmation.text().contains("How photosynthesis works"));
    assert!(confirmation.text().contains("Balance: 2"));
    assert_eq!(
        h.balance(1001).await,
        2,
        "nothing charged before confirming"
    );

    h.press(&ann, &confirmation, "confirm");
    let queued = h.expect_text(1001, "in the queue").await;
    // Polling confirms a batch only once it is handled.
    assert!(h.tg.wait_no_pending_updates(crate::SOON).await);
    assert_eq!(
        queued.message_id, confirmation.message_id,
        "the confirmation becomes the progress message"
    );
    let jobs = h.jobs(1001).await;
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.kind, JobKind::Neurocard);
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.user_prompt, "How photosynthesis works");
    assert_eq!(job.duration_s, 5);
    assert_eq!(job.aspect_ratio, "16:9");
    assert_eq!(job.progress_message_id, Some(confirmation.message_id));
    let photo = job
        .input_file_id
        .as_deref()
        .expect("the photo is the input");
    assert!(
        h.tg.file_bytes(photo)
            .is_some_and(|b| b.len() == neurocards_testkit::media::JPEG.len()),
        "the largest size is used"
    );
    assert_eq!(h.balance(1001).await, 1);

    // Again from the menu: the 10-second option costs 2, more than is left; 5 s fits.
    let second = h.neurocard_confirmation(&ann, "The water cycle").await;
    h.press(&ann, &second, "duration:10");
    let edited = h
        .expect(1001, |m| m.is_edit() && m.text().contains("Length: 10 s"))
        .await;
    assert!(edited.text().contains("Cost: 2"));
    h.press(&ann, &second, "confirm");
    h.expect_text(1001, "Not enough credits").await;
    assert_eq!(
        h.jobs(1001).await.len(),
        1,
        "nothing queued without credits"
    );
    h.press(&ann, &second, "duration:5");
    h.expect(1001, |m| m.is_edit() && m.text().contains("Length: 5 s"))
        .await;
    h.press(&ann, &second, "confirm");
    h.expect_text(1001, "in the queue").await;
    assert_eq!(h.balance(1001).await, 0);

    let third = h.neurocard_confirmation(&ann, "Volcanoes").await;
    h.press(&ann, &third, "confirm");
    let refused = h.expect_text(1001, "Not enough credits").await;
    assert!(
        refused.callback_data().contains(&"buy"),
        "the buy button is offered"
    );
    assert_eq!(h.jobs(1001).await.len(), 2);
    assert_eq!(h.balance(1001).await, 0);
    bot.stop().await;
}

async fn reels_from_text_and_from_a_first_frame(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let bob = h.tg.user(1002).first_name("Bob").language_code(Some("en"));
    bob.send_command("start", None);
    let menu = h.expect_button(1002, "generate_reels").await;

    h.press(&bob, &menu, "generate_reels");
    h.expect_text(1002, "idea").await;
    bob.send_text("A cat surfing a wave at sunset");
    let ask_photo = h.expect_button(1002, "skip_photo").await;
    h.press(&bob, &ask_photo, "skip_photo");
    let confirmation = h.expect_button(1002, "confirm").await;
    assert!(confirmation.text().contains("from text"));
    h.press(&bob, &confirmation, "confirm");
    h.expect_text(1002, "in the queue").await;

    h.press(&bob, &menu, "generate_reels");
    h.expect_text(1002, "idea").await;
    bob.send_text("The same cat, now skiing");
    h.expect_button(1002, "skip_photo").await;
    bob.send_photo(None);
    let confirmation = h.expect_button(1002, "confirm").await;
    assert!(confirmation.text().contains("with a photo"));
    h.press(&bob, &confirmation, "confirm");
    h.expect_text(1002, "in the queue").await;

    let jobs = h.jobs(1002).await;
    assert_eq!(jobs.len(), 2);
    assert!(
        jobs.iter()
            .all(|j| j.kind == JobKind::Reels && j.aspect_ratio == "9:16")
    );
    assert_eq!(jobs[1].input_file_id, None, "the first clip is text-only");
    assert!(
        jobs[0].input_file_id.is_some(),
        "the second starts from the photo"
    );
    assert_eq!(jobs[1].user_prompt, "A cat surfing a wave at sunset");
    bot.stop().await;
}

async fn double_taps_on_confirm_charge_once(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let eve = h.tg.user(1003).first_name("Eve").language_code(Some("en"));
    let confirmation = h.neurocard_confirmation(&eve, "Double tap").await;
    // Two presses of the same button: two callback queries, as two fast taps make.
    h.press(&eve, &confirmation, "confirm");
    h.press(&eve, &confirmation, "confirm");
    h.expect_text(1003, "in the queue").await;
    assert!(h.tg.wait_no_pending_updates(crate::SOON).await);
    // Both queries are answered (no endless spinner), the second as out of date.
    let answered = h.tg.wait_calls("answerCallbackQuery", 3, crate::SOON).await;
    assert!(answered.is_some());
    assert_eq!(h.jobs(1003).await.len(), 1);
    assert_eq!(h.balance(1003).await, 1);
    bot.stop().await;
}

async fn a_redelivered_confirm_update_charges_once(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let kim = h.tg.user(1004).first_name("Kim").language_code(Some("en"));
    let confirmation = h.neurocard_confirmation(&kim, "Redelivered").await;
    bot.stop().await;

    // The same update handed over twice at once, as a webhook re-delivery to two replicas.
    kim.press(confirmation.message_id, "confirm")
        .expect("press");
    let update = h
        .pending_update(|u| u["callback_query"]["data"] == "confirm")
        .await;
    let (one, two) = (h.app().await, h.app().await);
    let (a, b) = tokio::join!(one.handle_json(update.clone()), two.handle_json(update));
    a.expect("first delivery");
    b.expect("second delivery");
    assert_eq!(h.jobs(1004).await.len(), 1);
    assert_eq!(h.balance(1004).await, 1);
}

async fn only_the_latest_confirmation_acts(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let leo = h.tg.user(1005).first_name("Leo").language_code(Some("en"));
    let first = h.neurocard_confirmation(&leo, "Two screens").await;
    // Any message at the confirmation shows it again; the older one goes stale.
    leo.send_text("hello?");
    let second = h.expect_button(1005, "confirm").await;
    assert_ne!(first.message_id, second.message_id);
    h.press(&leo, &second, "duration:10");
    h.expect(1005, |m| m.is_edit() && m.text().contains("Length: 10 s"))
        .await;
    // "Generate for 1 credit" on the old screen must not buy the 10-second draft.
    h.press(&leo, &first, "confirm");
    h.press(&leo, &first, "duration:5");
    assert!(h.tg.wait_no_pending_updates(crate::SOON).await);
    assert!(h.jobs(1005).await.is_empty());
    let stale = h.tg.answered_callbacks();
    assert!(
        stale
            .iter()
            .filter(|a| a.text.as_deref() == Some("This button is out of date."))
            .count()
            >= 2,
        "{stale:?}"
    );
    h.press(&leo, &second, "confirm");
    h.expect_text(1005, "in the queue").await;
    let jobs = h.jobs(1005).await;
    assert_eq!((jobs.len(), jobs[0].duration_s, jobs[0].cost), (1, 10, 2));
    bot.stop().await;
}
