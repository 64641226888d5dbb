//! `neurocards demo`, the README's first command: the whole product offline, run exactly
//! as a newcomer runs it.

use crate::neurocards;

#[test]
fn the_demo_delivers_two_videos_and_resends_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = neurocards(dir.path(), &["demo"], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("demo: OK")),
        "{stdout}"
    );
    let uploaded = stdout.matches("(sendVideo) 🎬 Video").count();
    let generated = stdout.matches(", uploaded]").count();
    let resent = stdout.matches("re-sent by file_id, no upload]").count();
    assert_eq!((uploaded, generated, resent), (3, 2, 1), "{stdout}");
    assert!(
        stdout.contains("720×1280, 3.0 s"),
        "the real MP4 was delivered: {stdout}"
    );
    // The demo needs nothing from the machine it runs on: no database file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}
