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

/// A number of events, summed across threads.
pub struct Tally(AtomicU64);

impl Tally {
    const fn new() -> Tally {
        Tally(AtomicU64::new(0))
    }

    pub fn add(&self, count: u64) {
        self.0.fetch_add(count, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Files the cache knew unchanged from their metadata alone (size, times, inode): not read,
/// not hashed, at least until a printer needs their text.
pub static CACHE_STAT_HITS: Tally = Tally::new();
/// Files whose content was read and hashed to compare it with the cache's.
pub static CACHE_HASHED: Tally = Tally::new();
/// Files parsed and summarised (not served by the cache).
pub static PARSED: Tally = Tally::new();
/// Projects whose finished reports were taken from the cache (phase two skipped).
pub static REPORTS_REUSED: Tally = Tally::new();
