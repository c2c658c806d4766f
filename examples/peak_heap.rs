//! The heap a whole check keeps at its peak, against what the process's RSS shows: checks
//! the folders given (one project, the folders as module roots) with a counting allocator
//! over the system one, and prints the peak of live bytes after each phase.
//!
//! `cargo run --release --example peak_heap -- FOLDER...`
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, counting what is live.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

fn main() {
    use dagsafe::run::{self, RunOptions};
    let roots: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let paths = dagsafe::discover::python_files(&roots);
    let settings = Arc::new(dagsafe::settings::Settings::default());
    let files: Vec<_> = paths.into_iter().map(|p| (p, settings.clone())).collect();
    let start = LIVE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    let (outcomes, after_one) = run::with_large_stacks(|| {
        let outcomes = run::summarize_files(&files, RunOptions::default(), None, None);
        (outcomes, LIVE.load(Ordering::Relaxed))
    });
    let peak_one = PEAK.load(Ordering::Relaxed);
    let reports = run::with_large_stacks(|| run::finish(&files, &outcomes, &roots));
    let peak_two = PEAK.load(Ordering::Relaxed);
    let findings: usize = reports.iter().map(|r| r.diagnostics.len()).sum();
    println!("files {}, findings {findings}", files.len());
    println!(
        "phase one: peak {:.1} MB, kept {:.1} MB; whole run: peak {:.1} MB (live bytes on the heap)",
        mb(peak_one - start),
        mb(after_one - start),
        mb(peak_two - start)
    );
}
