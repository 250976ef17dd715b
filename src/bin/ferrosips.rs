//! The `ferrosips` command: `run` a node, `check` a configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A clustered SIP server: registrar, proxy and routing script.
#[derive(Parser)]
#[command(name = "ferrosips", version, about)]
struct Cli {
    /// More log output (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a node.
    Run {
        /// Configuration file (opensips.cfg syntax).
        #[arg(short, long, default_value = "config/ferrosips.cfg")]
        config: PathBuf,
        /// Write the process id to this file (removed again on a clean exit).
        #[arg(long)]
        pid_file: Option<PathBuf>,
    },
    /// Check a configuration file and exit (like `opensips -c`): exit 0 if it would start.
    Check {
        /// Configuration file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Check { file } => match ferrosips::config::load(&file) {
            Ok(cfg) => {
                println!(
                    "{}: ok ({} listener{})",
                    file.display(),
                    cfg.listen.len(),
                    if cfg.listen.len() == 1 { "" } else { "s" }
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(1)
            }
        },
        Cmd::Run { config, pid_file } => {
            let cfg = match ferrosips::config::load(&config) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(1);
                }
            };
            ferrosips::logging::init(cfg.log_level, cli.verbose);
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("cannot start the runtime: {e}");
                    return ExitCode::from(1);
                }
            };
            let r = rt.block_on(async {
                let node = ferrosips::node::Node::start(cfg).await?;
                // Written once the sockets are bound, so a script that waits for the file
                // can send at once.
                if let Some(p) = &pid_file {
                    if let Err(e) = std::fs::write(p, format!("{}\n", std::process::id())) {
                        tracing::error!("cannot write pid file {}: {e}", p.display());
                    }
                }
                tracing::info!("ferrosips {} running", env!("CARGO_PKG_VERSION"));
                ferrosips::shutdown::signal().await;
                tracing::info!("shutting down");
                node.shutdown().await;
                Ok::<_, ferrosips::node::StartError>(())
            });
            if let Some(p) = &pid_file {
                let _ = std::fs::remove_file(p);
            }
            match r {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}
