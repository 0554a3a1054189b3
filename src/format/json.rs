//! `JsonFormat`: one JSON value per line, optionally gzip-compressed.

use std::io::Write;

use flate2::GzBuilder;
use serde_json::Value;

use super::{Compression, FormatError};

/// Writes each record value as one line of compact JSON, as Confluent's `JsonFormat` does.
#[derive(Debug, Clone)]
pub struct JsonFormat {
    compression: Compression,
}

impl JsonFormat {
    /// Confluent's class name.
    pub const CLASS: &'static str = "io.confluent.connect.s3.format.json.JsonFormat";

    /// A JSON format with the given compression.
    pub fn new(compression: Compression) -> JsonFormat {
        JsonFormat { compression }
    }

    /// `.json` or `.json.gz`.
    pub fn extension(&self) -> &'static str {
        match self.compression {
            Compression::None => ".json",
            Compression::Gzip { .. } => ".json.gz",
        }
    }

    /// Encodes values as JSON lines.
    pub fn encode<'a>(
        &self,
        values: impl ExactSizeIterator<Item = &'a Value>,
    ) -> Result<Vec<u8>, FormatError> {
        let mut plain = Vec::with_capacity(values.len() * 128);
        for v in values {
            serde_json::to_writer(&mut plain, v).map_err(|e| FormatError::Encode(e.to_string()))?;
            plain.push(b'\n');
        }
        match self.compression {
            Compression::None => Ok(plain),
            Compression::Gzip { level } => {
                // mtime 0 and no file name, so the same records always give the same bytes.
                let mut gz = GzBuilder::new().mtime(0).write(
                    Vec::with_capacity(plain.len() / 4),
                    flate2::Compression::new(level),
                );
                gz.write_all(&plain)?;
                Ok(gz.finish()?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use serde_json::json;
    use std::io::Read;

    #[test]
    fn json_lines() {
        let vals = [json!({"a": 1, "b": "x"}), json!("s"), json!(2.5)];
        let out = JsonFormat::new(Compression::None)
            .encode(vals.iter())
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"a\":1,\"b\":\"x\"}\n\"s\"\n2.5\n"
        );
    }

    #[test]
    fn gzip_is_deterministic_and_readable() {
        let vals = [json!({"a": 1})];
        let f = JsonFormat::new(Compression::Gzip { level: 6 });
        let a = f.encode(vals.iter()).unwrap();
        let b = f.encode(vals.iter()).unwrap();
        assert_eq!(a, b);
        assert_eq!(&a[4..8], &[0, 0, 0, 0], "gzip mtime must be zero");
        let mut text = String::new();
        GzDecoder::new(&a[..]).read_to_string(&mut text).unwrap();
        assert_eq!(text, "{\"a\":1}\n");
        assert_eq!(f.extension(), ".json.gz");
    }
}
