//! Output formats: how a file's records become bytes.

pub mod json;

use serde_json::Value;

pub use json::JsonFormat;

/// Compression applied to a whole file (`s3.compression.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    /// gzip at a level 0..=9 (`s3.compression.level`, -1 meaning the default, 6).
    Gzip {
        level: u32,
    },
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
}

impl Format {
    /// The file extension, compression suffix included (`.json.gz`).
    pub fn extension(&self) -> &'static str {
        match self {
            Format::Json(f) => f.extension(),
        }
    }

    /// The object's Content-Type.
    pub fn content_type(&self) -> &'static str {
        match self {
            Format::Json(_) => "application/json",
        }
    }

    /// The object's Content-Encoding, if the bytes are compressed as a whole.
    pub fn content_encoding(&self) -> Option<&'static str> {
        match self {
            Format::Json(f) => f.content_encoding(),
        }
    }

    /// Encodes the values of one file, in order. The same values give the same bytes.
    pub fn encode<'a>(
        &self,
        values: impl ExactSizeIterator<Item = &'a Value>,
    ) -> Result<Vec<u8>, FormatError> {
        match self {
            Format::Json(f) => f.encode(values),
        }
    }

    /// Confluent's class name.
    pub fn class_name(&self) -> &'static str {
        match self {
            Format::Json(_) => JsonFormat::CLASS,
        }
    }
}
