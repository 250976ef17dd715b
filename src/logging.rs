//! Log set-up: `RUST_LOG` if set, else `-v` flags, else the config's `log_level`.

use tracing_subscriber::EnvFilter;

/// Maps OpenSIPS log levels (≤0 errors, 1 warnings, 2–3 info, ≥4 debug) and `-v` to a filter.
pub fn init(log_level: i32, verbose: u8) {
    let level = match (verbose, log_level) {
        (2.., _) => "trace",
        (1, _) => "debug",
        (0, ..=0) => "error",
        (0, 1) => "warn",
        (0, 2..=3) => "info",
        (0, _) => "debug",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("ferrosips={level},warn")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
