//! One module per flow: the menu and its small screens, making a video, the cabinet.

pub(crate) mod cabinet;
pub(crate) mod generate;
pub(crate) mod menu;
