//! Output formats: how a file's records become bytes.
//!
//! Row formats (JSON lines, raw bytes) write each record as it comes; batch formats (Parquet,
//! Avro) need one schema per file. Files of every format are split where the value schema
//! changes, as Confluent rotates on a schema change (see [`crate::plan`]).

pub mod avro;
pub mod bytearray;
pub mod json;
pub mod parquet;
pub mod schema;

pub use avro::{AvroCodec, AvroFormat};
pub use bytearray::ByteArrayFormat;
pub use json::JsonFormat;
pub use parquet::{ParquetCodec, ParquetFormat};
pub use schema::EncodeRecord;

/// Compression applied to a whole file (`s3.compression.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    /// gzip at a level 0..=9 (`s3.compression.level`, -1 meaning the default, 6).
    Gzip {
        level: u32,
    },
}

impl Compression {
    /// Compresses a whole file. gzip gets mtime 0 and no file name, so the same records
    /// always give the same bytes.
    pub fn apply(self, plain: Vec<u8>) -> Result<Vec<u8>, std::io::Error> {
        match self {
            Compression::None => Ok(plain),
            Compression::Gzip { level } => {
                use std::io::Write as _;
                let mut gz = flate2::GzBuilder::new().mtime(0).write(
                    Vec::with_capacity(plain.len() / 4),
                    flate2::Compression::new(level),
                );
                gz.write_all(&plain)?;
                gz.finish()
            }
        }
    }
}

/// Why a file could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("cannot encode record: {0}")]
    Encode(String),
    #[error("compression failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The configured output format (`format.class`).
#[derive(Debug, Clone)]
pub enum Format {
    Json(JsonFormat),
    // Boxed: writer properties are large and the other variants small.
    Parquet(Box<ParquetFormat>),
    Avro(AvroFormat),
    ByteArray(ByteArrayFormat),
}

impl Format {
    /// The file extension, compression suffix included (`.json.gz`, `.snappy.parquet`).
    pub fn extension(&self) -> &str {
        match self {
            Format::Json(f) => f.extension(),
            Format::Parquet(f) => f.extension(),
            Format::Avro(f) => f.extension(),
            Format::ByteArray(f) => f.extension(),
        }
    }

    /// The object's Content-Type: the type of the bytes as stored, so a gzip-compressed file
    /// is `application/gzip`. Confluent sets no Content-Type and no Content-Encoding
    /// (kafka-connect-s3 `storage/S3OutputStream.java`: CreateMultipartUpload carries only the
    /// ACL and encryption settings). A `Content-Encoding: gzip` would make clients that honour
    /// it decompress a `.gz` object behind the reader's back, so none is ever written.
    pub fn content_type(&self) -> &'static str {
        match self {
            Format::Json(f) if f.compressed() => "application/gzip",
            Format::ByteArray(f) if f.compressed() => "application/gzip",
            Format::Json(_) => "application/json",
            Format::Parquet(_) => "application/vnd.apache.parquet",
            Format::Avro(_) => "application/avro",
            Format::ByteArray(_) => "application/octet-stream",
        }
    }

    /// Encodes the records of one file, in order. The same records under the same key give
    /// the same bytes (`key` seeds the Avro sync marker).
    pub fn encode(&self, records: &[EncodeRecord<'_>], key: &str) -> Result<Vec<u8>, FormatError> {
        match self {
            Format::Json(f) => f.encode(records),
            Format::Parquet(f) => f.encode(records),
            Format::Avro(f) => f.encode(records, key),
            Format::ByteArray(f) => f.encode(records),
        }
    }

    /// Confluent's class name.
    pub fn class_name(&self) -> &'static str {
        match self {
            Format::Json(_) => JsonFormat::CLASS,
            Format::Parquet(_) => ParquetFormat::CLASS,
            Format::Avro(_) => AvroFormat::CLASS,
            Format::ByteArray(_) => ByteArrayFormat::CLASS,
        }
    }
}
