//! Settings from the environment (and `.env`), validated once at start-up.
//!
//! Every variable of DESIGN.md is read here and nowhere else. A bad value becomes a
//! [`ConfigError`] naming the variable, so start-up can stop with one clear line.

mod database_url;
mod proxy;

pub use database_url::DatabaseUrl;
pub use proxy::{Proxy, ProxyScheme, parse_proxy_list};

use crate::domain::Language;
use crate::secret::Secret;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;
use url::Url;

/// A setting that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// What is wrong with it, in a few words.
    pub problem: String,
}

impl ConfigError {
    fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self {
            var,
            problem: problem.into(),
        }
    }
}

/// Which parts a command starts, and so which settings it cannot do without.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs {
    /// The Telegram bot runs, so `BOT_TOKEN` is required.
    pub bot_token: bool,
}

/// Where files (user photos, results) are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageType {
    /// A directory on this machine.
    Local,
    /// An S3-compatible bucket.
    S3,
}

/// An S3-compatible bucket for `STORAGE_TYPE=s3`.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// `S3_BUCKET`.
    pub bucket: String,
    /// `S3_REGION` (default `us-east-1`).
    pub region: String,
    /// `S3_ENDPOINT` for providers other than AWS (MinIO, R2, ...); path-style URLs.
    pub endpoint: Option<Url>,
    /// `S3_ACCESS_KEY_ID`.
    pub access_key_id: Secret,
    /// `S3_SECRET_ACCESS_KEY`.
    pub secret_access_key: Secret,
}

/// Every setting of the product.
#[derive(Debug, Clone)]
pub struct Config {
    /// Telegram bot token (`BOT_TOKEN`).
    pub bot_token: Option<Secret>,
    /// Telegram Bot API base URL (`TELEGRAM_API_URL`).
    pub telegram_api_url: Url,
    /// Public base URL; when set, webhook mode and KIE callbacks (`PUBLIC_BASE_URL`).
    pub public_base_url: Option<Url>,
    /// Secret Telegram sends with every webhook call (`WEBHOOK_SECRET_TOKEN`).
    pub webhook_secret_token: Option<Secret>,
    /// Address of the HTTP server (`HTTP_ADDR`).
    pub http_addr: SocketAddr,
    /// Database location (`DATABASE_URL`).
    pub database_url: DatabaseUrl,
    /// Redis for shared ephemeral state (`REDIS_URL`).
    pub redis_url: Option<Secret>,
    /// File storage kind (`STORAGE_TYPE`).
    pub storage_type: StorageType,
    /// File storage root: a directory, or a bucket prefix (`STORAGE_BASE_PATH`).
    pub storage_base_path: PathBuf,
    /// The bucket, when `STORAGE_TYPE=s3`.
    pub s3: Option<S3Settings>,
    /// KIE API keys, rotated (`KIE_API_KEY`, comma separated).
    pub kie_api_keys: Vec<Secret>,
    /// KIE API base URL (`KIE_BASE_URL`).
    pub kie_base_url: Url,
    /// KIE file upload base URL (`KIE_UPLOAD_URL`).
    pub kie_upload_url: Url,
    /// Model for image-to-video (`KIE_MODEL_IMAGE_TO_VIDEO`).
    pub kie_model_image_to_video: String,
    /// Model for text-to-video (`KIE_MODEL_TEXT_TO_VIDEO`).
    pub kie_model_text_to_video: String,
    /// OpenAI-compatible API key; without it prompts come from templates (`OPENAI_API_KEY`).
    pub openai_api_key: Option<Secret>,
    /// OpenAI-compatible base URL (`OPENAI_BASE_URL`).
    pub openai_base_url: Url,
    /// Chat model for prompt enhancement (`OPENAI_MODEL`).
    pub openai_model: String,
    /// Jobs one worker process runs at once (`WORKER_CONCURRENCY`).
    pub worker_concurrency: usize,
    /// Longest a job may take before it fails and is refunded (`WORKER_TIMEOUT`, seconds).
    pub worker_timeout: Duration,
    /// Outbound proxies for provider calls, parsed from `PROXY_FILE`.
    pub proxies: Vec<Proxy>,
    /// How long a failing proxy rests (`PROXY_COOLDOWN`, seconds).
    pub proxy_cooldown: Duration,
    /// Telegram ids allowed to use admin commands (`ADMIN_IDS`).
    pub admin_ids: Vec<i64>,
    /// Credits a new user receives (`FREE_CREDITS`).
    pub free_credits: i64,
    /// Telegram file id of the welcome video (`WELCOME_VIDEO_FILE_ID`).
    pub welcome_video_file_id: Option<String>,
    /// Local welcome video, uploaded once (`WELCOME_VIDEO_PATH`).
    pub welcome_video_path: Option<PathBuf>,
    /// Language for users whose Telegram language we do not speak (`DEFAULT_LANGUAGE`).
    pub default_language: Language,
    /// Where users turn for help, shown in /help (`SUPPORT_CONTACT`).
    pub support_contact: Option<String>,
}

impl Config {
    /// Reads `.env` if present, then the process environment.
    pub fn from_env(needs: Needs) -> Result<Config, ConfigError> {
        // A missing .env is normal; a broken one is the operator's to fix.
        if let Err(e) = dotenvy::dotenv()
            && !e.not_found()
        {
            return Err(ConfigError::new(".env", e.to_string()));
        }
        Self::from_lookup(needs, |name| std::env::var(name).ok())
    }

    /// Builds the settings from any source of variables (tests pass a map).
    pub fn from_lookup(
        needs: Needs,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let env = Env(&lookup);
        let bot_token = env.get("BOT_TOKEN").map(Secret::new);
        if needs.bot_token && bot_token.is_none() {
            return Err(ConfigError::new(
                "BOT_TOKEN",
                "is required (get one from @BotFather)",
            ));
        }
        if let Some(token) = &bot_token {
            validate_bot_token(token.expose())?;
        }
        let webhook_secret_token = env.get("WEBHOOK_SECRET_TOKEN").map(Secret::new);
        if let Some(secret) = &webhook_secret_token {
            validate_webhook_secret(secret.expose())?;
        }
        let database_url = DatabaseUrl::parse(&env.or("DATABASE_URL", DatabaseUrl::DEFAULT))
            .map_err(|why| ConfigError::new("DATABASE_URL", why))?;
        let redis_url = match env.get("REDIS_URL") {
            Some(text) if text.starts_with("redis://") || text.starts_with("rediss://") => {
                Some(Secret::new(text))
            }
            Some(_) => return Err(ConfigError::new("REDIS_URL", "expected redis://host:port")),
            None => None,
        };
        let storage_type = match env.or("STORAGE_TYPE", "local").as_str() {
            "local" => StorageType::Local,
            "s3" => StorageType::S3,
            other => {
                return Err(ConfigError::new(
                    "STORAGE_TYPE",
                    format!("'{other}' is not local or s3"),
                ));
            }
        };
        let s3 = match storage_type {
            StorageType::S3 => Some(s3_settings(&env)?),
            StorageType::Local => None,
        };
        let kie_api_keys = env
            .get("KIE_API_KEY")
            .map(|keys| {
                keys.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(Secret::new)
                    .collect()
            })
            .unwrap_or_default();
        let proxies = match env.get("PROXY_FILE") {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    ConfigError::new("PROXY_FILE", format!("cannot read {path}: {e}"))
                })?;
                parse_proxy_list(&text)
                    .map_err(|why| ConfigError::new("PROXY_FILE", format!("{path}: {why}")))?
            }
            None => Vec::new(),
        };
        let admin_ids = env
            .get("ADMIN_IDS")
            .map(|ids| {
                ids.split(',')
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(|id| {
                        id.parse::<i64>().map_err(|_| {
                            ConfigError::new(
                                "ADMIN_IDS",
                                format!("'{id}' is not a Telegram user id"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let free_credits: i64 = env.parse("FREE_CREDITS", 2)?;
        if free_credits < 0 {
            return Err(ConfigError::new("FREE_CREDITS", "must not be negative"));
        }
        let worker_concurrency: usize = env.parse("WORKER_CONCURRENCY", 100)?;
        if worker_concurrency == 0 {
            return Err(ConfigError::new("WORKER_CONCURRENCY", "must be at least 1"));
        }
        let default_language = env
            .get("DEFAULT_LANGUAGE")
            .map(|lang| {
                lang.parse::<Language>().map_err(|_| {
                    ConfigError::new("DEFAULT_LANGUAGE", format!("'{lang}' is not ru or en"))
                })
            })
            .transpose()?
            .unwrap_or_default();
        Ok(Config {
            bot_token,
            telegram_api_url: env.url("TELEGRAM_API_URL", "https://api.telegram.org")?,
            public_base_url: env
                .get("PUBLIC_BASE_URL")
                .map(|_| env.url("PUBLIC_BASE_URL", ""))
                .transpose()?,
            webhook_secret_token,
            http_addr: env.parse("HTTP_ADDR", SocketAddr::from(([0, 0, 0, 0], 8080)))?,
            database_url,
            redis_url,
            storage_type,
            storage_base_path: PathBuf::from(env.or("STORAGE_BASE_PATH", "data/files")),
            s3,
            kie_api_keys,
            kie_base_url: env.url("KIE_BASE_URL", "https://api.kie.ai")?,
            kie_upload_url: env.url("KIE_UPLOAD_URL", "https://kieai.redpandaai.co")?,
            kie_model_image_to_video: env
                .or("KIE_MODEL_IMAGE_TO_VIDEO", "kling-2.6/image-to-video"),
            kie_model_text_to_video: env.or("KIE_MODEL_TEXT_TO_VIDEO", "kling-2.6/text-to-video"),
            openai_api_key: env.get("OPENAI_API_KEY").map(Secret::new),
            openai_base_url: env.url("OPENAI_BASE_URL", "https://api.openai.com/v1")?,
            openai_model: env.or("OPENAI_MODEL", "gpt-4o-mini"),
            worker_concurrency,
            worker_timeout: Duration::from_secs(env.parse_seconds("WORKER_TIMEOUT", 1800)?),
            proxies,
            proxy_cooldown: Duration::from_secs(env.parse_seconds("PROXY_COOLDOWN", 300)?),
            admin_ids,
            free_credits,
            welcome_video_file_id: env.get("WELCOME_VIDEO_FILE_ID"),
            welcome_video_path: env.get("WELCOME_VIDEO_PATH").map(PathBuf::from),
            default_language,
            support_contact: env.get("SUPPORT_CONTACT"),
        })
    }

    /// True when `id` may use the admin commands.
    pub fn is_admin(&self, id: i64) -> bool {
        self.admin_ids.contains(&id)
    }
}

/// The bucket settings `STORAGE_TYPE=s3` cannot do without.
fn s3_settings(env: &Env<'_>) -> Result<S3Settings, ConfigError> {
    let required = |name: &'static str| {
        env.get(name)
            .ok_or_else(|| ConfigError::new(name, "is required when STORAGE_TYPE=s3"))
    };
    Ok(S3Settings {
        bucket: required("S3_BUCKET")?,
        region: env.or("S3_REGION", "us-east-1"),
        endpoint: env
            .get("S3_ENDPOINT")
            .map(|_| env.url("S3_ENDPOINT", ""))
            .transpose()?,
        access_key_id: Secret::new(required("S3_ACCESS_KEY_ID")?),
        secret_access_key: Secret::new(required("S3_SECRET_ACCESS_KEY")?),
    })
}

/// Telegram tokens look like `123456:ABC-def_…`.
fn validate_bot_token(token: &str) -> Result<(), ConfigError> {
    let well_formed = token.split_once(':').is_some_and(|(id, secret)| {
        !id.is_empty()
            && id.chars().all(|c| c.is_ascii_digit())
            && !secret.is_empty()
            && secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if well_formed {
        Ok(())
    } else {
        Err(ConfigError::new(
            "BOT_TOKEN",
            "is not a bot token (expected digits:letters, as @BotFather gives)",
        ))
    }
}

/// Telegram accepts 1–256 characters of `A-Z a-z 0-9 _ -`.
fn validate_webhook_secret(secret: &str) -> Result<(), ConfigError> {
    let ok = (1..=256).contains(&secret.len())
        && secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ConfigError::new(
            "WEBHOOK_SECRET_TOKEN",
            "must be 1-256 characters of A-Z, a-z, 0-9, _ and -",
        ))
    }
}

/// Variable look-ups; an empty value counts as unset.
struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_owned())
    }

    fn parse<T: FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError> {
        match self.get(name) {
            Some(text) => text
                .parse()
                .map_err(|_| ConfigError::new(name, format!("'{text}' is not a valid value"))),
            None => Ok(default),
        }
    }

    fn parse_seconds(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.get(name) {
            Some(text) => match text.parse::<u64>() {
                Ok(seconds) if seconds > 0 => Ok(seconds),
                _ => Err(ConfigError::new(
                    name,
                    format!("'{text}' is not a positive number of seconds"),
                )),
            },
            None => Ok(default),
        }
    }

    fn url(&self, name: &'static str, default: &str) -> Result<Url, ConfigError> {
        let text = self.or(name, default);
        let url = Url::parse(&text)
            .map_err(|e| ConfigError::new(name, format!("'{text}' is not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConfigError::new(name, "must be an http:// or https:// URL"));
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(needs: Needs, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(needs, |name| map.get(name).cloned())
    }

    #[test]
    fn defaults_need_nothing_but_the_token_for_the_bot() {
        let config = load(Needs::default(), &[]).expect("defaults are valid");
        assert_eq!(config.free_credits, 2);
        assert_eq!(config.worker_timeout, Duration::from_secs(1800));
        assert_eq!(config.proxy_cooldown, Duration::from_secs(300));
        assert_eq!(
            config.database_url,
            DatabaseUrl::Sqlite("data/neurocards.db".into())
        );
        assert_eq!(config.kie_model_image_to_video, "kling-2.6/image-to-video");
        let err = load(Needs { bot_token: true }, &[]).expect_err("token required");
        assert_eq!(err.var, "BOT_TOKEN");
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let cases: &[(&str, &str)] = &[
            ("DATABASE_URL", "mysql://x"),
            ("ADMIN_IDS", "1,abc"),
            ("FREE_CREDITS", "-1"),
            ("WORKER_TIMEOUT", "0"),
            ("HTTP_ADDR", "nowhere"),
            ("KIE_BASE_URL", "ftp://x"),
            ("DEFAULT_LANGUAGE", "de"),
            ("STORAGE_TYPE", "floppy"),
            ("REDIS_URL", "localhost:6379"),
            ("WEBHOOK_SECRET_TOKEN", "has spaces"),
            ("BOT_TOKEN", "not-a-token"),
        ];
        for (var, value) in cases {
            let err = load(Needs::default(), &[(var, value)]).expect_err(var);
            assert_eq!(err.var, *var, "{err}");
        }
    }

    #[test]
    fn env_example_documents_every_variable_read() {
        let example = include_str!("../../../../.env.example");
        let asked = std::cell::RefCell::new(Vec::new());
        Config::from_lookup(Needs::default(), |name| {
            asked.borrow_mut().push(name.to_owned());
            None
        })
        .expect("defaults");
        let asked = asked.into_inner();
        assert!(asked.len() >= 27, "{asked:?}");
        for name in asked {
            assert!(
                example
                    .lines()
                    .any(|line| line.starts_with(&format!("{name}="))),
                "{name} is missing from .env.example"
            );
        }
    }

    #[test]
    fn s3_needs_its_bucket_and_keys() {
        let err = load(Needs::default(), &[("STORAGE_TYPE", "s3")]).expect_err("no bucket");
        assert_eq!(err.var, "S3_BUCKET");
        let err = load(
            Needs::default(),
            &[("STORAGE_TYPE", "s3"), ("S3_BUCKET", "cards")],
        )
        .expect_err("no key");
        assert_eq!(err.var, "S3_ACCESS_KEY_ID");
        let config = load(
            Needs::default(),
            &[
                ("STORAGE_TYPE", "s3"),
                ("S3_BUCKET", "cards"),
                ("S3_ACCESS_KEY_ID", "AKIA0001"),
                ("S3_SECRET_ACCESS_KEY", "very-secret-value"),
                ("S3_ENDPOINT", "http://127.0.0.1:9000"),
            ],
        )
        .expect("valid");
        let s3 = config.s3.as_ref().expect("s3 settings");
        assert_eq!(
            (s3.bucket.as_str(), s3.region.as_str()),
            ("cards", "us-east-1")
        );
        assert!(!format!("{config:?}").contains("very-secret-value"));
        let example = include_str!("../../../../.env.example");
        for name in [
            "S3_BUCKET",
            "S3_REGION",
            "S3_ENDPOINT",
            "S3_ACCESS_KEY_ID",
            "S3_SECRET_ACCESS_KEY",
        ] {
            assert!(
                example.contains(&format!("\n{name}=")),
                "{name} is missing from .env.example"
            );
        }
    }

    #[test]
    fn keys_and_admins_are_lists() {
        let config = load(
            Needs::default(),
            &[("KIE_API_KEY", "k1, k2,,k3"), ("ADMIN_IDS", "1, 2")],
        )
        .expect("valid");
        assert_eq!(config.kie_api_keys.len(), 3);
        assert_eq!(config.admin_ids, vec![1, 2]);
        assert!(config.is_admin(2));
        assert!(!format!("{config:?}").contains("k2"));
    }
}
