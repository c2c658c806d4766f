//! The physical floor for a correct answer: discover the same files as `dagsafe check`, read
//! and parse each in parallel on the same thread pool, and nothing else. The benchmark
//! compares `dagsafe check` with this.
use std::path::PathBuf;

use rayon::prelude::*;

fn main() {
    let roots: Vec<dagsafe::discover::WalkRoot> = std::env::args()
        .skip(1)
        .map(|p| {
            (
                PathBuf::from(p),
                dagsafe::config::Excludes::defaults(),
                None,
            )
        })
        .collect();
    let started = std::time::Instant::now();
    let files = dagsafe::discover::discover(&roots, false).files;
    eprintln!("discovery {:.3}s", started.elapsed().as_secs_f64());
    let statements: usize = dagsafe::run::with_large_stacks(|| {
        files
            .par_iter()
            .map(|path| {
                let Ok(source) = std::fs::read_to_string(path) else {
                    return 0;
                };
                let parsed = ruff_python_parser::parse_unchecked_source(
                    &source,
                    ruff_python_ast::PySourceType::Python,
                );
                parsed.suite().len()
            })
            .sum()
    });
    eprintln!("{} files, {statements} top-level statements", files.len());
}
