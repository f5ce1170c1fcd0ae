//! `ck-server`: serve (default) or migrate.

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's malloc: a pixel request allocates and frees many small blocks
/// across two worker threads, and glibc's malloc/free (`_int_free`, `malloc_consolidate`) were
/// ~13–17% of its CPU in the bench's profile (docs/bench.md). Only the binary: tests and tools
/// linking the library keep the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Clickeen server.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: ck_server::Config,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    ck_server::init_tracing(cli.config.log_json);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            ck_server::migrate(&cli.config.database_url).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Serve => {
            let running = ck_server::spawn(cli.config).await?;
            tracing::info!(url = %running.url(), "Clickeen server on {}", running.url());
            shutdown_signal().await;
            tracing::info!("shutting down");
            running.shutdown().await
        }
    }
}

/// Ctrl-C or SIGTERM (what container runtimes send).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
