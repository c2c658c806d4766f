use std::process::ExitCode;

fn main() -> ExitCode {
    dagsafe_cli::main()
}

#[path = "cli.rs"]
mod dagsafe_cli;
