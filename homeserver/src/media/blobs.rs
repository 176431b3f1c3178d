//! Where media bytes live. A blob is named by the SHA-256 of its bytes, so identical uploads
//! are stored once. [`BlobStore`] is the seam for other stores (an S3-compatible one for
//! scale-out); [`LocalBlobs`] keeps blobs in a directory.

use std::{
    future::Future,
    io,
    path::{Path, PathBuf},
    pin::Pin,
};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncSeekExt, AsyncWriteExt};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
pub type BlobReader = Box<dyn AsyncRead + Send + Unpin>;

/// A stored blob's name and length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobId {
    pub sha256: String,
    pub size: u64,
}

pub trait BlobStore: Send + Sync + 'static {
    /// Starts a blob. Bytes written to the sink are stored under their hash by
    /// [`BlobSink::finish`]; a sink dropped unfinished leaves nothing behind.
    fn create(&self) -> BoxFuture<'_, io::Result<Box<dyn BlobSink>>>;
    /// Reads a blob from byte `start` on.
    fn open(&self, sha256: &str, start: u64) -> BoxFuture<'_, io::Result<BlobReader>>;
}

pub trait BlobSink: Send {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, io::Result<()>>;
    /// Bytes written so far.
    fn written(&self) -> u64;
    fn finish(self: Box<Self>) -> BoxFuture<'static, io::Result<BlobId>>;
}

impl dyn BlobStore {
    /// Stores `bytes` at once (thumbnails: small, generated in memory).
    pub async fn put(&self, bytes: &[u8]) -> io::Result<BlobId> {
        let mut sink = self.create().await?;
        sink.write(bytes).await?;
        sink.finish().await
    }

    /// Reads a whole blob into memory (to thumbnail it; uploads are bounded in size).
    pub async fn read_all(&self, sha256: &str) -> io::Result<Vec<u8>> {
        let mut reader = self.open(sha256, 0).await?;
        let mut bytes = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut bytes).await?;
        Ok(bytes)
    }
}

/// Blobs as files under `root/ab/cd/abcd…`; uploads in progress under `root/tmp`.
#[derive(Debug, Clone)]
pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    /// Prepares the directory, clearing uploads a previous run left half-written.
    pub fn open(root: &Path) -> io::Result<Self> {
        let tmp = root.join("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir_all(&tmp)?;
        Ok(Self {
            root: root.to_owned(),
        })
    }

    fn path_of(&self, sha256: &str) -> io::Result<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad blob name"));
        }
        Ok(self
            .root
            .join(&sha256[..2])
            .join(&sha256[2..4])
            .join(sha256))
    }
}

impl BlobStore for LocalBlobs {
    fn create(&self) -> BoxFuture<'_, io::Result<Box<dyn BlobSink>>> {
        Box::pin(async move {
            let name: u64 = rand::random();
            let path = self.root.join("tmp").join(format!("{name:016x}"));
            let file = tokio::fs::File::create_new(&path).await?;
            Ok(Box::new(LocalSink {
                store: self.clone(),
                temp: Some(path),
                file,
                hasher: Sha256::new(),
                written: 0,
            }) as Box<dyn BlobSink>)
        })
    }

    fn open(&self, sha256: &str, start: u64) -> BoxFuture<'_, io::Result<BlobReader>> {
        let path = self.path_of(sha256);
        Box::pin(async move {
            let mut file = tokio::fs::File::open(path?).await?;
            if start > 0 {
                file.seek(io::SeekFrom::Start(start)).await?;
            }
            Ok(Box::new(file) as BlobReader)
        })
    }
}

struct LocalSink {
    store: LocalBlobs,
    /// The temporary file; `None` once it has been moved into place.
    temp: Option<PathBuf>,
    file: tokio::fs::File,
    hasher: Sha256,
    written: u64,
}

impl BlobSink for LocalSink {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            self.hasher.update(chunk);
            self.written += chunk.len() as u64;
            self.file.write_all(chunk).await
        })
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn finish(mut self: Box<Self>) -> BoxFuture<'static, io::Result<BlobId>> {
        Box::pin(async move {
            self.file.flush().await?;
            self.file.sync_data().await?;
            let sha256 = hex::encode(self.hasher.clone().finalize());
            let target = self.store.path_of(&sha256)?;
            let temp = self.temp.take().expect("a sink finishes once");
            if tokio::fs::try_exists(&target).await? {
                // The same bytes are stored already: keep one copy.
                tokio::fs::remove_file(&temp).await?;
            } else {
                if let Some(dir) = target.parent() {
                    tokio::fs::create_dir_all(dir).await?;
                }
                tokio::fs::rename(&temp, &target).await?;
            }
            Ok(BlobId {
                sha256,
                size: self.written,
            })
        })
    }
}

impl Drop for LocalSink {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            // An abandoned or refused upload: nothing of it stays on disk.
            let _ = std::fs::remove_file(temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn identical_bytes_share_one_blob_and_abandoned_sinks_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store: Box<dyn BlobStore> = Box::new(LocalBlobs::open(dir.path()).unwrap());
        let a = store.put(b"hello").await.unwrap();
        let b = store.put(b"hello").await.unwrap();
        assert_eq!(a, b);
        assert_eq!(a.size, 5);
        assert_eq!(store.read_all(&a.sha256).await.unwrap(), b"hello");
        let mut sink = store.create().await.unwrap();
        sink.write(b"partial").await.unwrap();
        drop(sink);
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
        assert!(store.open("../etc/passwd", 0).await.is_err());
    }
}
