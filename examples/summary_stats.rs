//! Where the memory of phase one goes: summarises every file given (paths, or folders walked
//! for `*.py`), keeps the summaries as phase one does, and prints the bytes live on the heap
//! for them as a whole and for each of their parts (measured by dropping the part).
//!
//! `cargo run --release --example summary_stats -- FOLDER...`
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
static COUNT: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator, counting what is live.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        COUNT.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        COUNT.fetch_sub(1, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> (isize, isize) {
    (LIVE.load(Ordering::Relaxed), COUNT.load(Ordering::Relaxed))
}

fn main() {
    let settings = dagsafe::settings::Settings::default();
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let files = dagsafe::discover::python_files(&paths);
    let (before, before_count) = live();
    let mut summaries = Vec::new();
    let mut source_bytes = 0;
    for path in &files {
        let Ok(source) = std::fs::read_to_string(path) else {
            continue;
        };
        source_bytes += source.len();
        summaries.push(dagsafe::summarize(&source, &settings));
    }
    let (total, total_count) = live();
    let edges: usize = summaries.iter().map(|s| s.graph.edges.len()).sum();
    let functions: usize = summaries.iter().map(|s| s.graph.functions.len()).sum();
    let serialized: usize = summaries
        .iter()
        .map(|s| postcard::to_stdvec(s).map_or(0, |b| b.len()))
        .sum();
    println!(
        "files {} ({source_bytes} bytes), edges {edges}, functions {functions}",
        summaries.len()
    );
    println!(
        "summaries: {} bytes live in {} allocations ({} bytes serialized)",
        total - before,
        total_count - before_count,
        serialized
    );
    kinds(&summaries);
    let mut part = |name: &str, drop: &dyn Fn(&mut dagsafe::project::Summary)| {
        let (at, count) = live();
        for summary in summaries.iter_mut() {
            drop(summary);
        }
        let (after, after_count) = live();
        println!(
            "  {name:<12} {:>12} bytes {:>10} allocations",
            at - after,
            count - after_count
        );
    };
    part("edges", &|s| s.graph.edges = Vec::new());
    part("edge_rows", &|s| s.edge_rows = Vec::new());
    part("functions", &|s| s.graph.functions = Vec::new());
    part("classes", &|s| s.graph.classes = Vec::new());
    part("exports", &|s| s.graph.exports = Default::default());
    part("star_imports", &|s| s.graph.star_imports = Vec::new());
    part("candidates", &|s| s.candidates = Vec::new());
    part("diagnostics", &|s| s.diagnostics = Vec::new());
    part("noqa", &|s| s.noqa = Default::default());
    part("rest", &|s| *s = Default::default());
}
#[allow(dead_code)]
fn kinds(summaries: &[dagsafe::project::Summary]) {
    use dagsafe::semantic::{Target, Value};
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for s in summaries {
        for e in &s.graph.edges {
            let v = match &e.target {
                Target::Call(v) => format!("call {}", shape(v)),
                Target::Read(v, _) => format!("read {}", shape(v)),
                Target::Handed(handed) => format!("handed {}", shape(&handed.value)),
                Target::Module(m) => format!("module {}", m.split('.').next().unwrap_or("")),
            };
            *counts.entry(v).or_default() += 1;
        }
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by_key(|(_, c)| std::cmp::Reverse(*c));
    for (k, c) in v.iter().take(40) {
        println!("{c:>8} {k}");
    }
    fn shape(v: &Value) -> String {
        match v {
            Value::Unknown => "unknown".into(),
            Value::Function(_) => "function".into(),
            Value::Class(_) => "class".into(),
            Value::Import(n) => format!("import {}", n.split('.').next().unwrap_or("")),
            Value::Tracked(_) => "tracked".into(),
            Value::Super(_) => "super".into(),
            Value::Attribute(b, _) => format!("attr({})", shape(b)),
            Value::Returned(b) => format!("ret({})", shape(b)),
        }
    }
}
