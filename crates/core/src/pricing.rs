//! What a generation costs, in credits, by kind and duration.

use crate::domain::JobKind;
use serde::{Deserialize, Serialize};

/// The video lengths the product sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Duration {
    /// Five seconds.
    S5,
    /// Ten seconds.
    S10,
}

impl Duration {
    /// Both lengths, shortest first.
    pub const ALL: [Duration; 2] = [Duration::S5, Duration::S10];

    /// Length in seconds.
    pub fn seconds(self) -> u32 {
        match self {
            Duration::S5 => 5,
            Duration::S10 => 10,
        }
    }

    /// The length for a number of seconds, if sold.
    pub fn from_seconds(seconds: i64) -> Option<Duration> {
        match seconds {
            5 => Some(Duration::S5),
            10 => Some(Duration::S10),
            _ => None,
        }
    }
}

/// Credits per generation. One credit is one 5-second video; ten seconds cost two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceTable {
    /// Cost of a 5-second video.
    pub short: i64,
    /// Cost of a 10-second video.
    pub long: i64,
}

impl Default for PriceTable {
    fn default() -> Self {
        Self { short: 1, long: 2 }
    }
}

impl PriceTable {
    /// The cost of one generation.
    pub fn cost(&self, _kind: JobKind, duration: Duration) -> i64 {
        match duration {
            Duration::S5 => self.short,
            Duration::S10 => self.long,
        }
    }
}
