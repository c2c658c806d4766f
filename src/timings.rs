//! `--timings`: where the time goes. Phase one's parse and check (walk, semantic model and
//! rules) are summed over worker threads (CPU time); the phases are wall time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A duration summed across threads.
pub struct Counter(AtomicU64);

impl Counter {
    const fn new() -> Counter {
        Counter(AtomicU64::new(0))
    }

    pub fn add(&self, duration: Duration) {
        self.0
            .fetch_add(duration.as_nanos() as u64, Ordering::Relaxed);
    }

    pub fn get(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

/// Parsing, summed over files.
pub static PARSE: Counter = Counter::new();
/// Walking the tree, building the semantic model and running the rules, summed over files.
pub static CHECK: Counter = Counter::new();
