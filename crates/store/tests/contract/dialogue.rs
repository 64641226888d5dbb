//! Durable dialogue state and settings: what is stored is read back, replaced, removed.

use crate::Fixture;

crate::contract!(dialogue_state_round_trips, settings_round_trip);

async fn dialogue_state_round_trips(fx: Fixture) {
    assert_eq!(fx.store.dialogue(1).await.expect("get"), None);
    fx.store
        .set_dialogue(1, r#"{"AwaitingPhoto":{}}"#)
        .await
        .expect("set");
    fx.store.set_dialogue(2, "other").await.expect("set");
    fx.store
        .set_dialogue(1, r#"{"AwaitingText":{"photo":"f"}}"#)
        .await
        .expect("replace");
    assert_eq!(
        fx.store.dialogue(1).await.expect("get").as_deref(),
        Some(r#"{"AwaitingText":{"photo":"f"}}"#)
    );
    fx.store.remove_dialogue(1).await.expect("remove");
    assert_eq!(fx.store.dialogue(1).await.expect("get"), None);
    assert_eq!(
        fx.store.dialogue(2).await.expect("get").as_deref(),
        Some("other")
    );
}

async fn settings_round_trip(fx: Fixture) {
    assert_eq!(
        fx.store
            .setting("welcome_video_file_id")
            .await
            .expect("get"),
        None
    );
    fx.store
        .set_setting("welcome_video_file_id", "a")
        .await
        .expect("set");
    fx.store
        .set_setting("welcome_video_file_id", "b")
        .await
        .expect("set");
    assert_eq!(
        fx.store
            .setting("welcome_video_file_id")
            .await
            .expect("get")
            .as_deref(),
        Some("b")
    );
}
