//! Callback data of the inline buttons that more than one part sends (DESIGN.md fixes these).

/// Start a neurocard.
pub const GENERATE_NEUROCARD: &str = "generate_neurocard";
/// Start a Reels clip.
pub const GENERATE_REELS: &str = "generate_reels";
/// Another neurocard, under a delivered one.
pub const AGAIN_NEUROCARD: &str = "again:neurocard";
/// Another Reels clip, under a delivered one.
pub const AGAIN_REELS: &str = "again:reels";
/// Back to the main menu.
pub const BACK_TO_MENU: &str = "back_to_menu";

/// The "again" button for a kind.
pub fn again(kind: crate::JobKind) -> &'static str {
    match kind {
        crate::JobKind::Neurocard => AGAIN_NEUROCARD,
        crate::JobKind::Reels => AGAIN_REELS,
    }
}
