//! Our copies of files: input photos and results on their way to Telegram, under
//! `STORAGE_BASE_PATH`. (S3 is not wired yet; `STORAGE_TYPE=s3` uses this folder too.)

use neurocards_store::JobId;
use std::path::{Path, PathBuf};

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
