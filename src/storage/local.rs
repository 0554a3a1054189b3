//! A local directory used as the bucket.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use tokio::sync::Semaphore;

use super::{ObjectPut, ObjectStore, StoreError};

/// Writes objects as files under a root directory: each key's `/`-separated segments become
/// directories, and a file is written to a temporary name in its directory, then renamed, so
/// a reader sees either the old or the new file, never a part.
#[derive(Debug)]
pub struct LocalStore {
    root: PathBuf,
    counter: AtomicU64,
    /// Writes in flight, at most one per core. Each write is a blocking task, and tokio starts
    /// a thread for a blocking task when none is idle: with `lambda.upload.concurrency`
    /// writes at once, a time-based replay started 22 to 41 threads, each with its stack
    /// and allocator heap, to write files that take microseconds each.
    writers: Semaphore,
}

impl LocalStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> LocalStore {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        LocalStore {
            root: root.into(),
            counter: AtomicU64::new(0),
            writers: Semaphore::new(cores),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_for(&self, key: &str) -> Result<PathBuf, StoreError> {
        let invalid = |reason| StoreError::InvalidKey {
            key: key.to_owned(),
            reason,
        };
        if key.is_empty() {
            return Err(invalid("empty key"));
        }
        if key.contains('\0') {
            return Err(invalid("NUL character"));
        }
        let relative = Path::new(key);
        for component in relative.components() {
            match component {
                Component::Normal(_) => {}
                _ => return Err(invalid("absolute path or `.`/`..` segment")),
            }
        }
        if key
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(invalid("empty, `.` or `..` segment"));
        }
        Ok(self.root.join(relative))
    }
}

#[async_trait]
impl ObjectStore for LocalStore {
    async fn put(&self, object: ObjectPut) -> Result<(), StoreError> {
        let path = self.path_for(&object.key)?;
        let key = object.key.clone();
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let io = move |error| StoreError::Io {
            key: key.clone(),
            error,
        };
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        let file_name = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{file_name}.{}.{n}.tmp", std::process::id()));
        // One blocking task per object, writing the body it shares: `tokio::fs::write` would
        // copy every body and take a blocking thread for each of its three steps.
        let body = object.body.clone();
        let _writing = self
            .writers
            .acquire()
            .await
            .map_err(|closed| StoreError::Io {
                key: object.key.clone(),
                error: std::io::Error::other(closed),
            })?;
        let written = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            if let Err(e) = std::fs::write(&tmp, &body) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            if let Err(e) = std::fs::rename(&tmp, &path) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            Ok(())
        })
        .await
        .unwrap_or_else(|join| Err(std::io::Error::other(join)));
        written.map_err(io)?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("file://{}", self.root.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn put(key: &str, body: &'static [u8]) -> ObjectPut {
        ObjectPut {
            key: key.to_owned(),
            body: Bytes::from_static(body),
            content_type: "application/json",
            tagged: true,
            start_offset: 0,
            end_offset: 0,
            record_count: 1,
        }
    }

    #[tokio::test]
    async fn writes_overwrites_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        store
            .put(put("topics/t/partition=0/t+0+0.json", b"one\n"))
            .await
            .unwrap();
        store
            .put(put("topics/t/partition=0/t+0+0.json", b"two\n"))
            .await
            .unwrap();
        let p = dir.path().join("topics/t/partition=0");
        assert_eq!(std::fs::read(p.join("t+0+0.json")).unwrap(), b"two\n");
        let names: Vec<_> = std::fs::read_dir(&p)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[tokio::test]
    async fn rejects_escaping_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        for key in ["../x", "/abs", "a//b", "a/./b", "", "a/../../b"] {
            let err = store.put(put(key, b"x")).await.unwrap_err();
            assert!(matches!(err, StoreError::InvalidKey { .. }), "{key}: {err}");
        }
    }
}
