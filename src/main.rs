use std::process::ExitCode;

fn main() -> ExitCode {
    dagsafe_cli::main()
}

#[path = "cli.rs"]
mod dagsafe_cli;

// mimalloc, as ruff uses: faster for the parser's many small allocations, and it returns
// memory freed by one file's tree before the next file's tree is built.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
