//! Our copies of files. Locally (`STORAGE_TYPE=local`): input photos and the results on
//! their way to Telegram under `STORAGE_BASE_PATH`. In a bucket (`STORAGE_TYPE=s3`): input
//! photos under the `STORAGE_BASE_PATH` prefix, handed to the provider as signed links of
//! ours (results are still staged in a local scratch folder before the upload).

use neurocards_core::config::S3Settings;
use neurocards_store::JobId;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::signer::Signer;
use object_store::{ObjectStore, PutPayload};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a signed link to an input photo works (KIE fetches it within minutes).
const LINK_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Why the bucket refused.
#[derive(Debug, thiserror::Error)]
#[error("object storage: {0}")]
pub struct StorageError(#[from] object_store::Error);

/// Input photos in an S3-compatible bucket, read by the provider through signed links.
#[derive(Debug, Clone)]
pub struct BucketInputs {
    store: std::sync::Arc<AmazonS3>,
    prefix: String,
}

impl BucketInputs {
    /// The bucket of `settings`, keys under `prefix`.
    pub fn new(settings: &S3Settings, prefix: &Path) -> Result<BucketInputs, StorageError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(settings.access_key_id.expose())
            .with_secret_access_key(settings.secret_access_key.expose());
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint.as_str().trim_end_matches('/'))
                .with_allow_http(endpoint.scheme() == "http");
        }
        Ok(BucketInputs {
            store: std::sync::Arc::new(builder.build()?),
            prefix: prefix.display().to_string().trim_matches('/').to_owned(),
        })
    }

    /// Stores a job's input photo and returns a link the provider can read it from for a day.
    pub async fn put_and_sign(
        &self,
        job: JobId,
        bytes: bytes::Bytes,
    ) -> Result<String, StorageError> {
        let key = if self.prefix.is_empty() {
            format!("inputs/job-{job}.jpg")
        } else {
            format!("{}/inputs/job-{job}.jpg", self.prefix)
        };
        let path = ObjectPath::from(key);
        self.store.put(&path, PutPayload::from(bytes)).await?;
        let url = self
            .store
            .signed_url(reqwest::Method::GET, &path, LINK_LIFETIME)
            .await?;
        Ok(url.to_string())
    }
}

/// Files under one folder.
#[derive(Debug, Clone)]
pub struct LocalStorage {
    base: PathBuf,
}

impl LocalStorage {
    /// Files under `base`.
    pub fn new(base: impl Into<PathBuf>) -> LocalStorage {
        LocalStorage { base: base.into() }
    }

    /// Where a job's input photo is kept.
    pub fn input_path(&self, job: JobId) -> PathBuf {
        self.base.join("inputs").join(format!("job-{job}.jpg"))
    }

    /// Where a job's result is downloaded before it is sent.
    pub fn result_path(&self, job: JobId) -> PathBuf {
        self.base.join("results").join(format!("job-{job}.mp4"))
    }

    /// Writes a job's input photo.
    pub async fn save_input(&self, job: JobId, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.input_path(job);
        write_new(&path, bytes).await?;
        Ok(path)
    }

    /// Makes sure the folders exist.
    pub async fn prepare(&self) -> std::io::Result<()> {
        tokio::fs::create_dir_all(self.base.join("inputs")).await?;
        tokio::fs::create_dir_all(self.base.join("results")).await
    }
}

async fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    tokio::fs::write(path, bytes).await
}
