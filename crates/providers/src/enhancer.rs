//! Prompt enhancement through an OpenAI-compatible chat completion. A generation never
//! fails because of it: no key, an error, a timeout (20 s at most) or an empty answer all
//! fall back to the caller's template. The system prompts live with the caller's texts.

use crate::classify::{self, ErrorClass};
use crate::error::ProviderError;
use crate::proxies::ProxyPool;
use neurocards_core::Secret;
use serde_json::{Value, json};
use std::time::Duration;
use url::Url;

const PROVIDER: &str = "openai";
/// The longest we wait for the LLM.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(20);
/// Answers longer than this are cut (video models take short prompts).
const MAX_PROMPT_CHARS: usize = 2000;

/// Where the enhanced prompt came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enhanced {
    /// The LLM wrote it.
    Llm(String),
    /// The template, because the LLM was not configured or did not answer usefully.
    Template(String),
}

impl Enhanced {
    /// The prompt.
    pub fn text(&self) -> &str {
        match self {
            Enhanced::Llm(text) | Enhanced::Template(text) => text,
        }
    }
}

/// The chat-completion client.
#[derive(Clone)]
pub struct PromptEnhancer {
    api_key: Option<Secret>,
    base_url: Url,
    model: String,
    timeout: Duration,
    routes: ProxyPool,
}

impl PromptEnhancer {
    /// An enhancer; without `api_key` every prompt comes from the template.
    pub fn new(
        api_key: Option<Secret>,
        base_url: Url,
        model: String,
        routes: ProxyPool,
    ) -> PromptEnhancer {
        PromptEnhancer {
            api_key,
            base_url,
            model,
            timeout: MAX_TIMEOUT,
            routes,
        }
    }

    /// Waits at most `timeout` (capped at 20 s) for the LLM.
    pub fn with_timeout(mut self, timeout: Duration) -> PromptEnhancer {
        self.timeout = timeout.min(MAX_TIMEOUT);
        self
    }

    /// The LLM's prompt for `user_text` under `system`, or `template` on any failure.
    pub async fn enhance_or(&self, system: &str, user_text: &str, template: String) -> Enhanced {
        match self.enhance(system, user_text).await {
            Ok(text) => Enhanced::Llm(text),
            Err(error) => {
                tracing::info!(%error, "prompt enhancement unavailable; using the template");
                Enhanced::Template(template)
            }
        }
    }

    /// Asks the LLM; an empty answer is an error.
    pub async fn enhance(&self, system: &str, user_text: &str) -> Result<String, ProviderError> {
        let Some(key) = &self.api_key else {
            return Err(ProviderError::new(
                PROVIDER,
                ErrorClass::KeyRejected,
                "OPENAI_API_KEY is not set",
            ));
        };
        let url = format!(
            "{}/chat/completions",
            self.base_url.as_str().trim_end_matches('/')
        );
        let body = json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user_text},
            ],
            "temperature": 0.7,
            "max_tokens": 400,
        });
        let timeout = self.timeout;
        let sent = self
            .routes
            .send(|client| {
                client
                    .post(&url)
                    .bearer_auth(key.expose())
                    .timeout(timeout)
                    .json(&body)
            })
            .await;
        let (response, _) = sent.map_err(|(e, route)| {
            ProviderError::new(
                PROVIDER,
                classify::classify_transport(&e, route.via_proxy()),
                e.to_string(),
            )
        })?;
        let status = response.status();
        if !status.is_success() {
            let class = classify::classify_status(
                status.as_u16(),
                classify::retry_after_header(response.headers()),
            );
            return Err(ProviderError::new(
                PROVIDER,
                class,
                format!("HTTP {status}"),
            ));
        }
        let answer: Value = response.json().await.map_err(|e| {
            ProviderError::new(
                PROVIDER,
                ErrorClass::Retryable { retry_after: None },
                format!("unreadable answer: {}", e.without_url()),
            )
        })?;
        let text = answer
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default();
        if text.is_empty() {
            return Err(ProviderError::new(
                PROVIDER,
                ErrorClass::GenerationFailed,
                "empty answer",
            ));
        }
        Ok(text.chars().take(MAX_PROMPT_CHARS).collect())
    }
}
