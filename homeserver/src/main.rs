//! `hearth`: run the homeserver, or administer it from the command line.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use hearth::{accounts::Accounts, config::Config, server, storage::Store};

// glibc's malloc showed as a tenth of the server's CPU under message load (many small,
// short-lived JSON values across threads); mimalloc handles that pattern cheaply.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "hearth", version, about = "A Matrix homeserver")]
struct Cli {
    /// Configuration file (TOML). Without it, the defaults of config.example.toml apply.
    #[arg(long, short, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the homeserver (the default).
    Run,
    /// Create a user account, even when open registration is disabled.
    RegisterUser {
        /// The localpart, e.g. `alice` for @alice:server.name.
        #[arg(long, short)]
        user: String,
        /// The password; read from the HEARTH_PASSWORD variable when omitted.
        #[arg(long, short, env = "HEARTH_PASSWORD")]
        password: String,
        /// Make the account a server administrator.
        #[arg(long)]
        admin: bool,
    },
}

fn main() -> ExitCode {
    return_large_allocations_to_the_os();
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("hearth: {err}");
            return ExitCode::from(2);
        }
    };
    let _log_guard = server::init_logging(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(hearth::sched::ask_for_short_slices)
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("hearth: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Run) {
            Command::Run => server::run(config).await,
            Command::RegisterUser {
                user,
                password,
                admin,
            } => register_user(config, &user, &password, admin).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hearth: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn register_user(
    config: Config,
    user: &str,
    password: &str,
    admin: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::open(&config.database.url, 1).await?;
    let accounts = Accounts::new(store.clone(), &config);
    let result = accounts.create_account(user, password, admin).await;
    store.close().await;
    match result {
        Ok(user_id) => {
            println!("created {user_id}{}", if admin { " (admin)" } else { "" });
            Ok(())
        }
        Err(err) => Err(format!("cannot create user: {}", err).into()),
    }
}

/// glibc raises its mmap threshold after the first large free, after which the 19 MiB
/// blocks of every password hash come from (and stay in) per-thread heaps: RSS would grow
/// by that much per blocking thread. A fixed threshold keeps such blocks mmapped, so they
/// go back to the OS as soon as a hash is done.
fn return_large_allocations_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}
