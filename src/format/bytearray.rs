//! `ByteArrayFormat`: each record's raw value bytes followed by a separator, as Confluent's
//! `ByteArrayRecordWriterProvider` writes them.

use super::schema::EncodeRecord;
use super::{Compression, FormatError};

/// Writes each record's raw value bytes, each followed by the separator (the last one too).
#[derive(Debug, Clone)]
pub struct ByteArrayFormat {
    separator: Vec<u8>,
    extension: String,
    compression: Compression,
}

impl ByteArrayFormat {
    /// Confluent's class name.
    pub const CLASS: &'static str = "io.confluent.connect.s3.format.bytearray.ByteArrayFormat";

    /// The default separator (`format.bytearray.separator`): the JVM's line separator on Linux.
    pub const DEFAULT_SEPARATOR: &'static [u8] = b"\n";

    /// The default extension (`format.bytearray.extension`).
    pub const DEFAULT_EXTENSION: &'static str = ".bin";

    /// A byte-array format with the given separator, file extension and compression.
    pub fn new(separator: Vec<u8>, extension: String, compression: Compression) -> ByteArrayFormat {
        let extension = match compression {
            // As Confluent: the compression's extension follows the configured one (`.bin.gz`).
            Compression::Gzip { .. } => format!("{extension}.gz"),
            Compression::None => extension,
        };
        ByteArrayFormat {
            separator,
            extension,
            compression,
        }
    }

    /// The file extension (`.bin` by default, `.bin.gz` with gzip).
    pub fn extension(&self) -> &str {
        &self.extension
    }

    /// Whether files are gzip-compressed (`s3.compression.type=gzip`).
    pub fn compressed(&self) -> bool {
        matches!(self.compression, Compression::Gzip { .. })
    }

    /// The separator written after each value.
    pub fn separator(&self) -> &[u8] {
        &self.separator
    }

    /// Concatenates the records' raw value bytes, each followed by the separator. A record
    /// without raw value bytes is an error naming its offset.
    pub fn encode(&self, records: &[EncodeRecord<'_>]) -> Result<Vec<u8>, FormatError> {
        let mut len = 0usize;
        for r in records {
            let raw = r.raw_value.ok_or_else(|| {
                FormatError::Encode(format!(
                    "record at offset {} ({}-{}) has no raw value bytes for ByteArrayFormat",
                    r.offset, r.topic, r.partition
                ))
            })?;
            len = len.saturating_add(raw.len() + self.separator.len());
        }
        let mut out = Vec::with_capacity(len);
        for raw in records.iter().filter_map(|r| r.raw_value) {
            out.extend_from_slice(raw);
            out.extend_from_slice(&self.separator);
        }
        Ok(self.compression.apply(out)?)
    }
}

impl Default for ByteArrayFormat {
    fn default() -> ByteArrayFormat {
        ByteArrayFormat::new(
            Self::DEFAULT_SEPARATOR.to_vec(),
            Self::DEFAULT_EXTENSION.to_owned(),
            Compression::None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn rec<'a>(v: &'a Value, raw: Option<&'a [u8]>, offset: i64) -> EncodeRecord<'a> {
        EncodeRecord {
            value: v,
            schema: None,
            raw_value: raw,
            topic: "t",
            partition: 1,
            offset,
            timestamp: None,
        }
    }

    #[test]
    fn values_each_followed_by_separator() {
        let v = Value::Null;
        let f = ByteArrayFormat::default();
        assert_eq!(f.extension(), ".bin");
        let out = f
            .encode(&[
                rec(&v, Some(b"a\x00b"), 0),
                rec(&v, Some(b""), 1),
                rec(&v, Some(b"c"), 2),
            ])
            .unwrap();
        assert_eq!(out, b"a\x00b\n\nc\n");
        let f = ByteArrayFormat::new(b"||".to_vec(), ".dat".into(), Compression::None);
        assert_eq!(f.encode(&[rec(&v, Some(b"x"), 0)]).unwrap(), b"x||");
        assert_eq!(f.encode(&[]).unwrap(), b"");
        assert_eq!(f.extension(), ".dat");
    }

    #[test]
    fn missing_raw_bytes_is_an_error() {
        let v = Value::Null;
        let err = ByteArrayFormat::default()
            .encode(&[rec(&v, Some(b"x"), 4), rec(&v, None, 5)])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "cannot encode record: record at offset 5 (t-1) has no raw value bytes for \
             ByteArrayFormat"
        );
    }
}
