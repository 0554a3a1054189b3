//! `DefaultPartitioner`: one directory per Kafka partition.

/// Encodes `partition=N`, as Confluent's `DefaultPartitioner` does.
#[derive(Debug, Clone, Default)]
pub struct DefaultPartitioner;

impl DefaultPartitioner {
    /// Confluent's class name.
    pub const CLASS: &'static str = "io.confluent.connect.storage.partitioner.DefaultPartitioner";

    /// The encoded path for a Kafka partition.
    pub fn encode_partition(&self, partition: i32) -> String {
        format!("partition={partition}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden() {
        assert_eq!(DefaultPartitioner.encode_partition(0), "partition=0");
        assert_eq!(DefaultPartitioner.encode_partition(17), "partition=17");
    }
}
