//! The file rule: which records share a file, and the file's object key.
//!
//! A file holds the records of one invocation that share (topic, partition, offset cell
//! `[kF, (k+1)F)`, encoded partition path, rotation window `[jR, (j+1)R)`, value schema), and
//! is named by its smallest offset. With `rotate.file.on.partition.change` (and a rotation
//! interval) files are instead *runs*: maximal stretches of consecutive records that share
//! those, as Confluent's `TopicPartitionWriter` closes every open file when the encoded
//! partition changes. Every input is a pure function of the records from the invocation's first
//! offset on, so a retried batch that starts at the same offset rewrites the same keys (see
//! docs/semantics.md).

use std::collections::BTreeMap;

/// Where one record goes: its encoded partition path and rotation window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub offset: i64,
    pub path: String,
    /// `floor(timestamp / rotate.interval.ms)` when rotation by record time is on.
    pub window: Option<i64>,
    /// A fingerprint of the record's value schema: a schema change starts a new file, as
    /// Confluent rotates on schema change.
    pub schema: u64,
    /// A tombstone written under `tombstone.encoded.partition`: moving to or from it does not
    /// end a run, as in Confluent, and tombstones are grouped (cell, window) rather than run.
    pub tombstone: bool,
}

/// One output file of a partition batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePlan {
    pub encoded_path: String,
    /// The smallest offset in the file: its name.
    pub start_offset: i64,
    /// The largest offset in the file.
    pub end_offset: i64,
    /// Indexes into the batch's records, in offset order.
    pub records: Vec<usize>,
}

/// What makes two records share a file: run, offset cell, partition path, window, schema.
type FileGroup<'a> = (usize, i64, &'a str, Option<i64>, u64);

/// Groups the placements of one partition batch (in offset order) into files, ordered by
/// start offset. `flush_size` is at least 1. With `runs`, a file also ends wherever the next
/// (non-tombstone) record belongs to another group.
pub fn plan_files(placements: &[Placement], flush_size: u64, runs: bool) -> Vec<FilePlan> {
    let flush = i64::try_from(flush_size.max(1)).unwrap_or(i64::MAX);
    let mut files: BTreeMap<FileGroup<'_>, FilePlan> = BTreeMap::new();
    let mut run = 0usize;
    let mut last: Option<(i64, &str, Option<i64>, u64)> = None;
    for (index, p) in placements.iter().enumerate() {
        let cell = p.offset.div_euclid(flush);
        if runs && !p.tombstone {
            let group = (cell, p.path.as_str(), p.window, p.schema);
            if last.is_some_and(|l| l != group) {
                run += 1;
            }
            last = Some(group);
        }
        // Tombstones are grouped, never run: their run would depend on which records precede
        // them in the batch, which differs between a failed attempt and its retries.
        let run_key = if p.tombstone { usize::MAX } else { run };
        let file = files
            .entry((run_key, cell, p.path.as_str(), p.window, p.schema))
            .or_insert_with(|| FilePlan {
                encoded_path: p.path.clone(),
                start_offset: p.offset,
                end_offset: p.offset,
                records: Vec::new(),
            });
        file.start_offset = file.start_offset.min(p.offset);
        file.end_offset = file.end_offset.max(p.offset);
        file.records.push(index);
    }
    let mut out: Vec<FilePlan> = files.into_values().collect();
    out.sort_by_key(|f| f.start_offset);
    out
}

/// The object-key layout: `topics.dir`, `directory.delim`, `file.delim`,
/// `filename.offset.zero.pad.width`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLayout {
    pub topics_dir: String,
    pub directory_delim: String,
    pub file_delim: String,
    pub zero_pad_width: usize,
}

impl Default for KeyLayout {
    fn default() -> Self {
        KeyLayout {
            topics_dir: "topics".to_owned(),
            directory_delim: "/".to_owned(),
            file_delim: "+".to_owned(),
            zero_pad_width: 10,
        }
    }
}

/// S3's limit on the length of an object key, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

impl KeyLayout {
    /// `{topics.dir}/{topic}/{path}/{topic}+{partition}+{offset, zero-padded}{extension}`, as
    /// Confluent names objects (an empty `topics.dir` drops its segment).
    pub fn object_key(
        &self,
        topic: &str,
        encoded_path: &str,
        partition: i32,
        start_offset: i64,
        extension: &str,
    ) -> String {
        let d = &self.directory_delim;
        let f = &self.file_delim;
        let width = self.zero_pad_width;
        let name = format!("{topic}{f}{partition}{f}{start_offset:0width$}{extension}");
        if self.topics_dir.is_empty() {
            format!("{topic}{d}{encoded_path}{d}{name}")
        } else {
            format!("{}{d}{topic}{d}{encoded_path}{d}{name}", self.topics_dir)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(offset: i64, path: &str, window: Option<i64>) -> Placement {
        Placement {
            offset,
            path: path.to_owned(),
            window,
            schema: 0,
            tombstone: false,
        }
    }

    fn starts(placements: &[Placement], flush: u64, runs: bool) -> Vec<(i64, Vec<usize>)> {
        plan_files(placements, flush, runs)
            .into_iter()
            .map(|f| (f.start_offset, f.records))
            .collect()
    }

    #[test]
    fn runs_end_where_the_group_changes_and_ignore_tombstones() {
        let placements = vec![
            p(0, "a", None),
            p(1, "b", None),
            Placement {
                tombstone: true,
                ..p(2, "tombstone", None)
            },
            p(3, "b", None),
            p(4, "a", None),
            p(5, "a", None),
            Placement {
                tombstone: true,
                ..p(6, "tombstone", None)
            },
        ];
        assert_eq!(
            starts(&placements, 100, true),
            vec![
                (0, vec![0]),
                (1, vec![1, 3]),
                (2, vec![2, 6]),
                (4, vec![4, 5])
            ]
        );
        // Without runs the two `a` stretches share a file.
        assert_eq!(
            starts(&placements, 100, false),
            vec![(0, vec![0, 4, 5]), (1, vec![1, 3]), (2, vec![2, 6])]
        );
    }

    #[test]
    fn a_schema_change_starts_a_new_file() {
        let mut placements: Vec<_> = (0..4).map(|o| p(o, "x", None)).collect();
        placements[2].schema = 7;
        placements[3].schema = 7;
        let starts: Vec<i64> = plan_files(&placements, 100, false)
            .iter()
            .map(|f| f.start_offset)
            .collect();
        assert_eq!(starts, vec![0, 2]);
    }

    #[test]
    fn cells_paths_and_windows_split_files() {
        let placements = vec![
            p(8, "a", None),
            p(9, "b", None),
            p(10, "a", None),
            p(12, "a", Some(1)),
            p(13, "a", None),
        ];
        let files = plan_files(&placements, 5, false);
        let summary: Vec<(i64, i64, &str, Vec<usize>)> = files
            .iter()
            .map(|f| {
                (
                    f.start_offset,
                    f.end_offset,
                    f.encoded_path.as_str(),
                    f.records.clone(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (8, 8, "a", vec![0]),
                (9, 9, "b", vec![1]),
                (10, 13, "a", vec![2, 4]),
                (12, 12, "a", vec![3]),
            ]
        );
    }

    #[test]
    fn flush_size_one_gives_one_file_per_record() {
        let placements: Vec<_> = (0..3).map(|o| p(o, "partition=0", None)).collect();
        assert_eq!(plan_files(&placements, 1, false).len(), 3);
    }

    #[test]
    fn keys_follow_confluent_layout() {
        let l = KeyLayout::default();
        assert_eq!(
            l.object_key("orders", "partition=0", 0, 0, ".json"),
            "topics/orders/partition=0/orders+0+0000000000.json"
        );
        assert_eq!(
            l.object_key("orders", "year=2023/month=10/day=01", 2, 1234, ".json.gz"),
            "topics/orders/year=2023/month=10/day=01/orders+2+0000001234.json.gz"
        );
        let l = KeyLayout {
            topics_dir: "raw".into(),
            directory_delim: "#".into(),
            file_delim: "_".into(),
            zero_pad_width: 3,
        };
        assert_eq!(
            l.object_key("t", "partition=1", 1, 12345, ".json"),
            "raw#t#partition=1#t_1_12345.json"
        );
        let l = KeyLayout {
            topics_dir: String::new(),
            ..KeyLayout::default()
        };
        assert_eq!(
            l.object_key("t", "p", 0, 1, ".json"),
            "t/p/t+0+0000000001.json"
        );
    }
}
