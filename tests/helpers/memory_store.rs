//! An in-memory bucket that can be told which puts fail, for the exactly-once tests.
//!
//! The bucket is a `Mutex<BTreeMap<key, bytes>>`: a put lands whole or not at all, as on S3.
//! Before each attempt (one handler invocation) the test installs a [`FaultPlan`] deciding the
//! fate of every put of that attempt:
//! - [`PutFate::Land`]: the object is stored and the put succeeds;
//! - [`PutFate::Fail`]: nothing is stored and the put fails (a 5xx, a reset before the server
//!   got the request, a crash before the upload);
//! - [`PutFate::LandThenFail`]: the object is stored, then the put fails anyway (a timeout or
//!   a reset after the server completed the write).
//!
//! A plan picks fates by arrival order within the attempt ("the first n puts land, the rest
//! fail") or by key ("fail exactly these files").
//!
//! Include it with `#[path = "helpers/memory_store.rs"] mod memory_store;`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;
use kafka_s3_sink::storage::{ObjectPut, ObjectStore, StoreError};

/// What happens to one put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PutFate {
    /// Stored; the put succeeds.
    Land,
    /// Not stored; the put fails.
    Fail,
    /// Stored; the put fails anyway (the caller cannot tell that it landed).
    LandThenFail,
}

impl PutFate {
    /// Whether the object ends up in the bucket.
    pub fn lands(self) -> bool {
        matches!(self, PutFate::Land | PutFate::LandThenFail)
    }

    /// Whether the caller sees an error.
    pub fn errs(self) -> bool {
        matches!(self, PutFate::Fail | PutFate::LandThenFail)
    }
}

/// The fates of the puts of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultPlan {
    /// The i-th put of the attempt (in the order the store receives them) gets `fates[i]`;
    /// puts past the end of the list get `rest`.
    ByOrder { fates: Vec<PutFate>, rest: PutFate },
    /// A put of a listed key gets its fate; any other put gets `rest`.
    ByKey {
        fates: BTreeMap<String, PutFate>,
        rest: PutFate,
    },
}

impl FaultPlan {
    /// Every put lands.
    pub fn none() -> FaultPlan {
        FaultPlan::ByOrder {
            fates: Vec::new(),
            rest: PutFate::Land,
        }
    }

    /// The first `n` puts land, every later one fails without landing.
    pub fn first_n_land(n: usize) -> FaultPlan {
        FaultPlan::ByOrder {
            fates: vec![PutFate::Land; n],
            rest: PutFate::Fail,
        }
    }

    /// The listed keys get `fate`, every other put lands.
    pub fn keys<'a>(keys: impl IntoIterator<Item = &'a str>, fate: PutFate) -> FaultPlan {
        FaultPlan::ByKey {
            fates: keys.into_iter().map(|k| (k.to_owned(), fate)).collect(),
            rest: PutFate::Land,
        }
    }

    fn fate(&self, index: usize, key: &str) -> PutFate {
        match self {
            FaultPlan::ByOrder { fates, rest } => fates.get(index).copied().unwrap_or(*rest),
            FaultPlan::ByKey { fates, rest } => fates.get(key).copied().unwrap_or(*rest),
        }
    }
}

/// How many puts met each fate, over the store's life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FateCounts {
    pub landed: usize,
    pub failed: usize,
    pub landed_then_failed: usize,
}

#[derive(Debug)]
struct Attempt {
    plan: FaultPlan,
    /// Puts received in this attempt, with their fates, in arrival order.
    log: Vec<(String, PutFate)>,
}

/// The in-memory bucket.
#[derive(Debug)]
pub struct MemoryStore {
    objects: Mutex<BTreeMap<String, Bytes>>,
    attempt: Mutex<Attempt>,
    counts: Mutex<FateCounts>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl MemoryStore {
    /// An empty bucket in which every put lands.
    pub fn new() -> MemoryStore {
        MemoryStore {
            objects: Mutex::new(BTreeMap::new()),
            attempt: Mutex::new(Attempt {
                plan: FaultPlan::none(),
                log: Vec::new(),
            }),
            counts: Mutex::new(FateCounts::default()),
        }
    }

    /// Starts a new attempt: puts are counted from zero again and follow `plan`.
    pub fn begin_attempt(&self, plan: FaultPlan) {
        *lock(&self.attempt) = Attempt {
            plan,
            log: Vec::new(),
        };
    }

    /// The puts of the current attempt with their fates, in arrival order.
    pub fn attempt_log(&self) -> Vec<(String, PutFate)> {
        lock(&self.attempt).log.clone()
    }

    /// A copy of the bucket.
    pub fn objects(&self) -> BTreeMap<String, Bytes> {
        lock(&self.objects).clone()
    }

    /// How many puts met each fate so far.
    pub fn counts(&self) -> FateCounts {
        *lock(&self.counts)
    }
}

#[async_trait]
impl ObjectStore for MemoryStore {
    async fn put(&self, object: ObjectPut) -> Result<(), StoreError> {
        // The fate is fixed on arrival, so "the first n puts" means the first n the handler
        // started, whatever order they finish in.
        let fate = {
            let mut attempt = lock(&self.attempt);
            let fate = attempt.plan.fate(attempt.log.len(), &object.key);
            attempt.log.push((object.key.clone(), fate));
            fate
        };
        // Let the handler's other uploads run in between, as they would against a server.
        tokio::task::yield_now().await;
        {
            let mut counts = lock(&self.counts);
            match fate {
                PutFate::Land => counts.landed += 1,
                PutFate::Fail => counts.failed += 1,
                PutFate::LandThenFail => counts.landed_then_failed += 1,
            }
        }
        if fate.lands() {
            lock(&self.objects).insert(object.key.clone(), object.body);
        }
        match fate {
            PutFate::Land => Ok(()),
            PutFate::Fail => Err(StoreError::Remote {
                bucket: "memory".into(),
                key: object.key,
                message: "InternalError: injected fault, nothing stored (HTTP 500)".into(),
                retryable: true,
            }),
            PutFate::LandThenFail => Err(StoreError::Remote {
                bucket: "memory".into(),
                key: object.key,
                message: "timed out: injected fault after the object was stored".into(),
                retryable: true,
            }),
        }
    }

    fn describe(&self) -> String {
        "memory://bucket".into()
    }
}
