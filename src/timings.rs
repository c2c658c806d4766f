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
/// Wall time of the steps of a run, in the order they first ran (a step that runs more than
/// once is summed): what `--timings` lists after the totals.
static STEPS: std::sync::Mutex<Vec<(&'static str, Duration)>> = std::sync::Mutex::new(Vec::new());

/// Adds `duration` to the step `name`.
fn step(name: &'static str, duration: Duration) {
    let mut steps = STEPS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match steps.iter_mut().find(|(step, _)| *step == name) {
        Some((_, total)) => *total += duration,
        None => steps.push((name, duration)),
    }
}

/// A step being timed: from [`Step::start`] to when it is dropped (an early return
/// included).
pub struct Step(&'static str, std::time::Instant);

impl Step {
    pub fn start(name: &'static str) -> Step {
        Step(name, std::time::Instant::now())
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        step(self.0, self.1.elapsed());
    }
}

/// Runs `work` as the step `name`.
pub fn timed<T>(name: &'static str, work: impl FnOnce() -> T) -> T {
    let _step = Step::start(name);
    work()
}

/// The steps so far, as `--timings` prints them: `walk 0.081s, summaries 0.912s, ...`.
pub fn steps() -> String {
    let steps = STEPS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    steps
        .iter()
        .map(|(name, duration)| format!("{name} {:.3}s", duration.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ")
}
