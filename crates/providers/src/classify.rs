//! What a provider's answer means for the job: the one table every caller follows.
//!
//! KIE answers with an HTTP status and, inside a 200, an envelope `code`; both use the same
//! numbers, so both go through [`classify_status`]. Transport errors (timeouts, refused
//! connections) are always worth another try. A failed task's `failCode`/`failMsg` says
//! whether the user should rephrase ([`classify_task_failure`]).

use std::time::Duration;

/// What to do about a failed provider call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Timeouts, connection errors, 5xx, 455 maintenance: try again later.
    Retryable {
        /// How long the provider asked us to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// 429: this key is rate-limited; cool it down and use another.
    RateLimited {
        /// How long the provider asked us to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// 401 invalid or 402 out of credits: park the key and use another.
    KeyRejected,
    /// The proxy refused us (connect error, 403, 407): cool it down, go through another.
    ProxyFailed,
    /// Every key is parked or cooling down: the job waits.
    NoKeyAvailable {
        /// When the first cooling key comes back, if one will.
        retry_after: Option<Duration>,
    },
    /// 400/404/422/505: the request itself is wrong; retrying cannot help (refund).
    BadRequest,
    /// The content was refused by the provider's policy (refund, ask to rephrase).
    ContentPolicy,
    /// The model could not make this video (501 or a failed task; refund, ask to rephrase).
    GenerationFailed,
}

impl ErrorClass {
    /// True when the job should end (with its refund) rather than try again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ErrorClass::BadRequest | ErrorClass::ContentPolicy | ErrorClass::GenerationFailed
        )
    }

    /// The short name stored as a job's `error_class`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Retryable { .. } => "retryable",
            ErrorClass::RateLimited { .. } => "rate_limited",
            ErrorClass::KeyRejected => "key_rejected",
            ErrorClass::ProxyFailed => "proxy_failed",
            ErrorClass::NoKeyAvailable { .. } => "no_key_available",
            ErrorClass::BadRequest => "bad_request",
            ErrorClass::ContentPolicy => "content_policy",
            ErrorClass::GenerationFailed => "generation_failed",
        }
    }

    /// The wait the provider asked for, if any.
    pub fn retry_after(self) -> Option<Duration> {
        match self {
            ErrorClass::Retryable { retry_after }
            | ErrorClass::RateLimited { retry_after }
            | ErrorClass::NoKeyAvailable { retry_after } => retry_after,
            _ => None,
        }
    }
}

/// An HTTP status or a KIE envelope code (they share numbers) → what to do.
pub fn classify_status(code: u16, retry_after: Option<Duration>) -> ErrorClass {
    match code {
        401 | 402 => ErrorClass::KeyRejected,
        403 | 407 => ErrorClass::ProxyFailed,
        408 | 455 | 500 | 502 | 503 | 504 => ErrorClass::Retryable { retry_after },
        429 => ErrorClass::RateLimited { retry_after },
        501 => ErrorClass::GenerationFailed,
        400 | 404 | 405 | 413 | 422 | 505 => ErrorClass::BadRequest,
        500..=599 => ErrorClass::Retryable { retry_after },
        // Anything else unexpected (a 3xx, an unknown 4xx): not the job's fault, try again.
        _ => ErrorClass::Retryable { retry_after },
    }
}

/// A transport error: through a proxy a refused connection blames the proxy; directly, the
/// provider (or the network) — both are worth another try.
pub fn classify_transport(error: &reqwest::Error, via_proxy: bool) -> ErrorClass {
    if via_proxy && error.is_connect() {
        ErrorClass::ProxyFailed
    } else {
        ErrorClass::Retryable { retry_after: None }
    }
}

/// A `Retry-After` header in seconds (the HTTP-date form is rare from APIs; ignored).
pub fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Words providers use when a prompt or an image breaks their content rules.
const POLICY_MARKERS: &[&str] = &[
    "policy",
    "sensitive",
    "nsfw",
    "violat",
    "prohibited",
    "inappropriate",
    "moderation",
    "safety",
    "illegal",
];

/// A task that ended in `fail`: content policy when the message says so, else a failed
/// generation. Both are terminal and both ask the user to rephrase.
pub fn classify_task_failure(fail_code: Option<&str>, fail_msg: Option<&str>) -> ErrorClass {
    let text = format!(
        "{} {}",
        fail_code.unwrap_or_default(),
        fail_msg.unwrap_or_default()
    )
    .to_lowercase();
    if POLICY_MARKERS.iter().any(|marker| text.contains(marker)) {
        ErrorClass::ContentPolicy
    } else if fail_code.is_some_and(|code| code.trim() == "422") {
        ErrorClass::BadRequest
    } else {
        ErrorClass::GenerationFailed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_envelope_codes() {
        let wait = Some(Duration::from_secs(7));
        let table: &[(u16, ErrorClass)] = &[
            (401, ErrorClass::KeyRejected),
            (402, ErrorClass::KeyRejected),
            (403, ErrorClass::ProxyFailed),
            (407, ErrorClass::ProxyFailed),
            (404, ErrorClass::BadRequest),
            (422, ErrorClass::BadRequest),
            (505, ErrorClass::BadRequest),
            (429, ErrorClass::RateLimited { retry_after: wait }),
            (455, ErrorClass::Retryable { retry_after: wait }),
            (500, ErrorClass::Retryable { retry_after: wait }),
            (503, ErrorClass::Retryable { retry_after: wait }),
            (501, ErrorClass::GenerationFailed),
        ];
        for (code, expected) in table {
            assert_eq!(classify_status(*code, wait), *expected, "code {code}");
        }
    }

    #[test]
    fn terminal_classes_are_the_refunded_ones() {
        assert!(ErrorClass::BadRequest.is_terminal());
        assert!(ErrorClass::ContentPolicy.is_terminal());
        assert!(ErrorClass::GenerationFailed.is_terminal());
        assert!(!ErrorClass::KeyRejected.is_terminal());
        assert!(!ErrorClass::RateLimited { retry_after: None }.is_terminal());
        assert!(!ErrorClass::NoKeyAvailable { retry_after: None }.is_terminal());
        assert!(!ErrorClass::ProxyFailed.is_terminal());
    }

    #[test]
    fn task_failures() {
        let table: &[(Option<&str>, Option<&str>, ErrorClass)] = &[
            (
                Some("400"),
                Some("The content violates our policy"),
                ErrorClass::ContentPolicy,
            ),
            (
                None,
                Some("Sensitive content detected"),
                ErrorClass::ContentPolicy,
            ),
            (
                Some("500"),
                Some("internal error"),
                ErrorClass::GenerationFailed,
            ),
            (Some("422"), Some("bad image"), ErrorClass::BadRequest),
            (None, None, ErrorClass::GenerationFailed),
        ];
        for (code, message, expected) in table {
            assert_eq!(
                classify_task_failure(*code, *message),
                *expected,
                "{code:?} {message:?}"
            );
        }
    }

    #[test]
    fn retry_after_in_seconds() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after_header(&headers), None);
        headers.insert(reqwest::header::RETRY_AFTER, "12".parse().expect("value"));
        assert_eq!(retry_after_header(&headers), Some(Duration::from_secs(12)));
    }
}
