//! The command line: clap definitions, and printing of what `ops` returns as
//! text or JSON. No logic lives here.

mod output;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::ops::{self, Context, Error};
use output::Printer;

#[derive(Debug, Parser)]
#[command(name = "paii", version, about = "A declarative, Nix-style package manager for Claude Code plugins")]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Global {
    /// Output format
    #[arg(short, long, global = true, value_enum, default_value_t = Format::Text)]
    output: Format,
    /// Print only errors
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print more detail
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// When to use colours
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// The paii.toml to use (default: the first found upward from the working
    /// directory, else $PAII_HOME/paii.toml)
    #[arg(long, global = true, value_name = "PATH")]
    manifest: Option<PathBuf>,
    /// Act on this scope instead of the one paii.toml declares: `user`
    /// (~/.claude) or `project` (the .claude/ of the repository holding paii.toml)
    #[arg(long, global = true, value_enum)]
    scope: Option<crate::scope::ScopeKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create $PAII_HOME with a commented paii.toml
    Init,
    /// Resolve paii.toml and write paii.lock
    Lock {
        /// Upgrade these plugins (every plugin when none is named)
        #[arg(long, num_args = 0.., value_name = "PLUGIN")]
        update: Option<Vec<String>>,
        /// Change nothing; exit 1 when paii.lock is out of date
        #[arg(long)]
        check: bool,
    },
    /// Lock if needed, fetch, build, assemble a generation, switch to it and
    /// update Claude Code's files
    Sync {
        /// Fail if paii.lock would change
        #[arg(long)]
        locked: bool,
        /// --locked, and no network
        #[arg(long)]
        frozen: bool,
        /// Use only the store and caches
        #[arg(long)]
        offline: bool,
        /// Show what would be done; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Parallel fetches
        #[arg(short, long, default_value_t = 8, value_name = "N")]
        jobs: usize,
    },
    /// Fetch and build locked plugins (all, or these) without switching
    Build {
        plugins: Vec<String>,
        /// Build again into a temporary directory and compare with the store
        #[arg(long)]
        check: bool,
        /// Parallel fetches
        #[arg(short, long, default_value_t = 8, value_name = "N")]
        jobs: usize,
    },
    /// List the generations
    #[command(subcommand)]
    Generations(GenerationsCommand),
    /// The current generation and any drift between paii.toml, paii.lock,
    /// the store and what is installed (exit 1 on drift)
    Status,
    /// Switch to the parent of the current generation
    Rollback,
    /// Switch to generation N
    Switch { number: u32 },
    /// Check for dangling links, missing or corrupt store entries, edits by
    /// hand to paii's settings, missing toolchains and secrets
    Doctor {
        /// Repair what can be repaired, and say what was done
        #[arg(long)]
        fix: bool,
    },
    /// Remove everything paii added to Claude Code's files (`sync` or
    /// `switch` brings it back)
    Deactivate,
    /// Delete old generations and store entries no kept generation uses
    Gc {
        /// Keep the newest N generations (the current one is always kept)
        #[arg(long, value_name = "N")]
        keep: Option<usize>,
        /// Show what would be deleted; delete nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Manage the plugins in paii.toml
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Hook dispatch (called by Claude Code), the dispatch table, dry runs
    #[command(subcommand)]
    Hook(HookCommand),
    /// Run a plugin action with its config, secrets and contracts wired
    Run {
        plugin: String,
        /// The action (`[run] actions` lists a plugin's actions)
        #[arg(long)]
        action: String,
        /// Arguments passed to the action (after `--`, or simply after the action)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Binary caches: upload build outputs, signed
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Signing keys for binary caches
    #[command(subcommand)]
    Key(KeyCommand),
    /// Push a plugin tree as an OCI artifact and print its registry entry
    Publish {
        /// The plugin's directory
        path: std::path::PathBuf,
        /// Where: `oci://HOST/NAME[:TAG]` (the tag defaults to the plugin's version)
        #[arg(long, value_name = "oci://HOST/NAME[:TAG]")]
        to: String,
        /// Sign it with this secret key (or PAII_SIGNING_KEY, or the one in $PAII_HOME/keys/)
        #[arg(long, value_name = "FILE")]
        key: Option<std::path::PathBuf>,
        /// Publish unsigned
        #[arg(long, conflicts_with = "key")]
        unsigned: bool,
    },
    /// What Claude Code's MCP config runs for servers that use secrets
    #[command(subcommand, hide = true)]
    Mcp(McpCommand),
    /// Query the history through the MemoryProvider plugin
    History {
        /// `query TEXT...`, `recent [N]`, `categories` or `context`, with
        /// the provider's flags (`--category C`, `--limit N`...) anywhere
        #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
        what: Vec<String>,
    },
    /// Plugin settings: effective values and where they come from
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage and check registries
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Bring an existing setup under paii
    #[command(subcommand)]
    Import(ImportCommand),
    /// Approve what plugins run (hook handlers, MCP server commands, build):
    /// record its digest in paii.lock, then sync; with `[policy]
    /// require-approval` nothing of a plugin runs before that
    Approve {
        /// The plugins (see what each runs in `paii sync`'s output)
        #[arg(required_unless_present = "all")]
        plugins: Vec<String>,
        /// Every plugin of paii.lock
        #[arg(long, conflicts_with = "plugins")]
        all: bool,
        /// Record the approval without syncing
        #[arg(long)]
        no_sync: bool,
        /// Parallel fetches of plugins the store lacks
        #[arg(short, long, default_value_t = 8, value_name = "N")]
        jobs: usize,
    },
    /// Write the software bill of materials of paii.lock: every plugin and
    /// the Rust and Python packages its lockfiles pin, with hashes and the
    /// dependency graph
    Sbom {
        /// CycloneDX 1.6 JSON, or SPDX 2.3 JSON
        #[arg(long, value_enum, default_value_t = crate::sbom::SbomFormat::Cyclonedx)]
        format: crate::sbom::SbomFormat,
        /// Write it to this file (default: standard output)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Use only the store: fail on a plugin not fetched yet
        #[arg(long)]
        offline: bool,
        /// Parallel fetches of plugins the store lacks
        #[arg(short, long, default_value_t = 8, value_name = "N")]
        jobs: usize,
    },
    /// Check the Rust and Python packages the locked plugins pin against
    /// OSV advisory databases (RustSec, PyPA); exit 1 on a finding at or
    /// above --severity
    Audit {
        /// The lowest severity that fails the audit (an advisory without a
        /// score counts at every level)
        #[arg(long, value_enum, default_value_t = crate::advisory::Severity::Low)]
        severity: crate::advisory::Severity,
        /// Report format (default: text, or json with `-o json`); `sarif`
        /// is SARIF 2.1.0 for code scanning
        #[arg(long, value_enum)]
        format: Option<AuditFormat>,
        /// Use only the databases' pinned copies in the store
        #[arg(long)]
        offline: bool,
        /// Audit against the commits paii.lock pins; never move a pin
        #[arg(long)]
        locked: bool,
        /// Parallel fetches of plugins the store lacks
        #[arg(short, long, default_value_t = 8, value_name = "N")]
        jobs: usize,
    },
    /// Print shell completions
    Completions { shell: clap_complete::Shell },
    /// Write man pages (paii.1 and one per subcommand, `paii-sync.1`...)
    /// generated from these definitions
    Man {
        /// Where (default: ~/.local/share/man/man1, where `man` looks for a
        /// user's pages)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum HookCommand {
    /// Run the handlers of EVENT with Claude Code's hook input on stdin
    /// (exit 2 blocks, anything else allows)
    Dispatch {
        event: String,
        /// The profile whose current generation answers (a project's hook
        /// entries name theirs)
        #[arg(long, value_name = "DIR")]
        profile: Option<PathBuf>,
    },
    /// Run one hook of a Claude Code plugin, as the hooks.json paii gives
    /// Claude Code for it names it (Claude Code has matched it; its exit
    /// code and output are the hook's own)
    Handler {
        /// The directory whose dispatch table holds the hook (the plugin
        /// root's)
        generation: PathBuf,
        plugin: String,
        /// The hook's place in the plugin's hooks
        index: String,
    },
    /// Hand an observer's queued events to it now (dispatch does this at
    /// Stop, SessionEnd, and when the queue grows past 1 MiB)
    Drain {
        plugin: String,
        /// The profile whose spool and current generation to use (a
        /// project's; default: the scope's)
        #[arg(long, value_name = "DIR")]
        profile: Option<PathBuf>,
    },
    /// The current generation's dispatch table
    List,
    /// Run EVENT's handlers as dispatch would and show each result (no audit log)
    Test {
        event: String,
        /// The hook input JSON, `-` for stdin (default: a minimal input for EVENT)
        #[arg(long, value_name = "FILE")]
        input: Option<std::path::PathBuf>,
        /// Only this plugin's handlers
        #[arg(long)]
        plugin: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum CacheCommand {
    /// Build what is not built and upload each build output of the lock (or
    /// of PLUGIN...) to the first substituter, signed
    Push {
        plugins: Vec<String>,
        /// Another OCI repository than the first `[cache] substituters`
        #[arg(long, value_name = "oci://HOST/REPO")]
        to: Option<String>,
        /// The secret key file (default: PAII_SIGNING_KEY, else the one in $PAII_HOME/keys/)
        #[arg(long, value_name = "FILE")]
        key: Option<std::path::PathBuf>,
        /// Also the source trees of the lock (members then fetch them from the cache first)
        #[arg(long)]
        sources: bool,
        #[arg(short = 'j', long, default_value_t = 4)]
        jobs: usize,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Make an ed25519 key pair: the secret in $PAII_HOME/keys/NAME.secret,
    /// the public key (for `[cache] trusted-keys`) printed
    Generate {
        name: String,
        /// Write the secret key here instead
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum McpCommand {
    /// Start SERVER's command with its plugin's declared secrets
    Exec {
        /// The profile whose current generation has SERVER (a project's)
        #[arg(long, value_name = "DIR")]
        profile: Option<PathBuf>,
        server: String,
    },
    /// Print SERVER's headers with its plugin's declared secrets, as JSON (a headersHelper)
    Headers {
        /// The profile whose current generation has SERVER (a project's)
        #[arg(long, value_name = "DIR")]
        profile: Option<PathBuf>,
        server: String,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// The effective value of PLUGIN.KEY
    Get { target: String },
    /// Set PLUGIN.KEY in $PAII_HOME/config/PLUGIN.toml (checked against the
    /// plugin's type, range and choices) and apply it
    Set {
        target: String,
        /// A TOML value (`-5`, `"text"`, `[1, 2]`); a string option takes the text as it is
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Every key of every plugin (or of PLUGIN) with its value and origin
    List { plugin: Option<String> },
}

#[derive(Debug, Subcommand)]
enum GenerationsCommand {
    /// Number, date, parent, plugin count, and which is current
    List,
    /// Plugins added, removed and changed from generation A to B
    Diff { a: u32, b: u32 },
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// List the locked plugins
    List,
    /// Show a plugin: what is requested, locked and available
    Info { name: String },
    /// Add a plugin to paii.toml (NAME or NAME@REQUIREMENT), lock and sync
    Install {
        name: String,
        /// Take it from this registry only
        #[arg(long, conflicts_with_all = ["git", "path"])]
        registry: Option<String>,
        /// A git repository holding the plugin
        #[arg(long)]
        git: Option<String>,
        /// Commit, tag or branch of --git
        #[arg(long, requires = "git")]
        rev: Option<String>,
        /// A local plugin directory (with --git: the subdirectory)
        #[arg(long)]
        path: Option<String>,
        /// A tarball URL holding the plugin
        #[arg(long, conflicts_with_all = ["git", "path", "registry"])]
        url: Option<String>,
        /// The expected `sha256-...` of a --url plugin's tree
        #[arg(long, requires = "url")]
        integrity: Option<String>,
        /// Edit paii.toml and paii.lock only; do not sync
        #[arg(long)]
        no_sync: bool,
    },
    /// Remove a plugin from paii.toml, lock and sync
    Remove {
        name: String,
        /// Edit paii.toml and paii.lock only; do not sync
        #[arg(long)]
        no_sync: bool,
    },
    /// Upgrade plugins (all, or these) to the newest versions paii.toml
    /// allows, lock and sync
    Update {
        names: Vec<String>,
        /// Lock only; do not sync
        #[arg(long)]
        no_sync: bool,
    },
    /// Hash store entries again and report corruption (all, or these plugins)
    Verify { names: Vec<String> },
    /// Scaffold a plugin (manifest, code on paii's SDK, lockfile, test,
    /// README) that syncs and handles an event as it is
    New {
        name: String,
        #[arg(long, value_enum)]
        lang: crate::ops::scaffold::Lang,
        /// Where to create it (default: ./NAME)
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Claude Code's enabled plugins and known marketplaces as [plugins] and
    /// [registries] of paii.toml (a dry run unless --write); after the next
    /// sync, paii's copies replace Claude Code's own
    Claude {
        /// Edit paii.toml (comments kept)
        #[arg(long)]
        write: bool,
    },
}

#[derive(Debug, Subcommand)]
enum RegistryCommand {
    /// List the registries in priority order
    List,
    /// Add a registry (lowest priority)
    Add {
        name: String,
        /// URL (https, http, file) or local path of the registry file
        #[arg(required_unless_present_any = ["git", "marketplace"])]
        location: Option<String>,
        /// A git repository holding the registry file
        #[arg(long, conflicts_with_all = ["location", "marketplace"])]
        git: Option<String>,
        /// A Claude Code marketplace: git URL, GitHub owner/repo, or directory
        #[arg(long, conflicts_with = "location")]
        marketplace: Option<String>,
        /// Commit, tag or branch of --git or --marketplace
        #[arg(long)]
        rev: Option<String>,
        /// The registry file inside the --git repository
        #[arg(long, requires = "git")]
        path: Option<String>,
    },
    /// Remove a registry from paii.toml
    Remove { name: String },
    /// Fetch network registries again (all, or these)
    Update { names: Vec<String> },
    /// Search every registry by name, description and tags
    Search { query: String },
    /// Show one registry's plugins and versions
    Show { name: String },
    /// Check a registry file for CI; exit 1 when it is invalid
    Validate {
        /// Path or URL of the registry file
        location: String,
        /// Report format (default: text, or json with `-o json`)
        #[arg(long, value_enum)]
        format: Option<ValidateFormat>,
        /// Also fetch every source: check its integrity and that its
        /// plugin.toml agrees with the entry
        #[arg(long)]
        fetch: bool,
        /// Check every entry's source against this paii.toml's `[policy]`
        #[arg(long, value_name = "PAII_TOML")]
        policy: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuditFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ValidateFormat {
    Text,
    Json,
    Github,
}

/// The event and profile of a `hook dispatch` command line clap refused
/// (an unknown flag, no event): the first operand after `dispatch` that
/// names an event (an unknown flag's value does not; else the first
/// operand, which the audit line then shows), and `--profile DIR` or
/// `--profile=DIR` if given.
fn dispatch_salvage(args: &[std::ffi::OsString]) -> Option<(String, Option<PathBuf>)> {
    let at = args.windows(2).position(|w| w[0] == "hook" && w[1] == "dispatch")?;
    let rest: Vec<String> = args[at + 2..].iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let (mut event, mut profile): (Option<String>, _) = (None, None);
    let mut i = 0;
    while i < rest.len() {
        let arg = &rest[i];
        if arg == "--profile" {
            profile = rest.get(i + 1).map(PathBuf::from);
            i += 2;
            continue;
        }
        if let Some(dir) = arg.strip_prefix("--profile=") {
            profile = Some(PathBuf::from(dir));
        } else if !arg.starts_with('-') {
            // A known event wins over whatever operand came before it.
            let known = |e: &str| crate::dispatch::event::HookEvent::parse(e).is_some();
            if event.as_deref().is_none_or(|e| !known(e) && known(arg)) {
                event = Some(arg.clone());
            }
        }
        i += 1;
    }
    Some((event.unwrap_or_default(), profile))
}

pub fn main() -> ExitCode {
    // The hot path (when paii-cli is run directly; `paii` itself answers
    // it without starting the CLI): no argument parsing, logging or TLS.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(code) = crate::dispatch::launcher::hot_path(&args) {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            // Exit 2 is Claude Code's "block": a hook entry paii cannot
            // parse (one written by another paii version, say) must not
            // block every tool call. Its event still runs, audited.
            if let Some((event, profile)) = dispatch_salvage(&args)
                && !matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion)
            {
                let message = e.render().to_string();
                eprintln!("paii: {} (dispatching `{event}` anyway)", message.lines().next().unwrap_or_default());
                return ExitCode::from(crate::dispatch::main(&event, profile));
            }
            e.exit()
        }
    };
    if let Err(e) = crate::util::fail::setup() {
        eprintln!("warning: {e}; failpoints are ignored");
    }
    crate::util::log::init(cli.global.verbose);
    crate::http::init_tls();
    let printer = Printer::new(cli.global.output, cli.global.color, cli.global.quiet);
    let ctx = Context {
        manifest: cli.global.manifest.clone(),
        scope: cli.global.scope,
        quiet: cli.global.quiet || cli.global.output == Format::Json,
        terminal: std::io::stderr().is_terminal(),
        warn: {
            let p = printer;
            Box::new(move |w| p.warning(w))
        },
        status: {
            let p = printer;
            Box::new(move |s| p.status(s))
        },
    };
    match run(cli.command, &ctx, &printer) {
        Ok(code) => code,
        Err(e) => {
            printer.error(&e);
            ExitCode::FAILURE
        }
    }
}

/// Runs one command: `ops` does the work, a `Printer` method renders its
/// outcome (text or JSON) and says what paii exits with.
fn run(command: Command, ctx: &Context, p: &Printer) -> Result<ExitCode, Error> {
    use ops::sync::{SyncOptions, run as sync};
    const OK: ExitCode = ExitCode::SUCCESS;
    Ok(match command {
        Command::Init => {
            p.init(&ops::init::run(ctx)?);
            OK
        }
        Command::Lock { update, check } => {
            p.lock_outcome(&ops::lock::run(ctx, &ops::lock::LockOptions { update, check })?, check);
            OK
        }
        Command::Sync { locked, frozen, offline, dry_run, jobs } => {
            p.sync_outcome(&sync(ctx, &SyncOptions { locked, frozen, offline, dry_run, jobs })?);
            OK
        }
        Command::Build { plugins, check: true, jobs } => p.build_checked(&ops::build::check(ctx, &plugins, jobs)?),
        Command::Build { plugins, check: false, jobs } => {
            p.built(&ops::build::run(ctx, &plugins, jobs)?);
            OK
        }
        Command::Generations(GenerationsCommand::List) => {
            p.generations(&ops::generations::list(ctx)?);
            OK
        }
        Command::Generations(GenerationsCommand::Diff { a, b }) => {
            p.generations_diff(&ops::generations::diff(ctx, a, b)?);
            OK
        }
        Command::Gc { keep, dry_run } => {
            p.collected(&ops::generations::gc(ctx, keep, dry_run)?);
            OK
        }
        Command::Status => p.status_report(&ops::status::run(ctx)?),
        Command::Rollback => {
            p.switched(&ops::generations::switch(ctx, None)?, "rolled back to");
            OK
        }
        Command::Switch { number } => {
            p.switched(&ops::generations::switch(ctx, Some(number))?, "switched to");
            OK
        }
        Command::Doctor { fix } => p.doctor(&ops::doctor::run(ctx, fix)?, fix),
        Command::Hook(HookCommand::Dispatch { event, profile }) => ExitCode::from(crate::dispatch::main(&event, profile)),
        Command::Hook(HookCommand::Handler { generation, plugin, index }) => {
            ExitCode::from(u8::try_from(crate::dispatch::run::handler_main(&generation, &plugin, &index)).unwrap_or(1))
        }
        Command::Hook(HookCommand::Drain { plugin, profile }) => p.drained(&ops::hook::drain(ctx, &plugin, profile)?),
        Command::Hook(HookCommand::List) => {
            let (generation, rows) = ops::hook::list(ctx)?;
            {
                p.hook_list(generation, &rows);
                OK
            }
        }
        Command::Hook(HookCommand::Test { event, input, plugin }) => {
            p.hook_test(&ops::hook::test(ctx, &event, input.as_deref(), plugin)?);
            OK
        }
        Command::Key(KeyCommand::Generate { name, out }) => {
            p.key_generated(&ops::cache::generate(&name, out.as_deref())?);
            OK
        }
        Command::Publish { path, to, key, unsigned } => {
            p.published(&ops::cache::publish(&path, &to, key.as_deref(), unsigned)?);
            OK
        }
        Command::Cache(CacheCommand::Push { plugins, to, key, sources, jobs }) => {
            p.cache_pushed(&ops::cache::push(ctx, &plugins, to.as_deref(), key.as_deref(), sources, jobs)?);
            OK
        }
        Command::Mcp(McpCommand::Exec { profile, server }) => exit_code(ops::mcp::exec(&server, profile.as_deref())?),
        Command::Mcp(McpCommand::Headers { profile, server }) => exit_code(ops::mcp::headers(&server, profile.as_deref())?),
        Command::Approve { plugins, all, no_sync, jobs } => {
            p.approved(&ops::approve::run(ctx, &plugins, all, jobs)?);
            if !no_sync {
                p.sync_outcome(&sync(ctx, &SyncOptions::default())?);
            }
            OK
        }
        Command::Audit { severity, format, offline, locked, jobs } => {
            let format = format.unwrap_or(match p.format() {
                Format::Json => AuditFormat::Json,
                Format::Text => AuditFormat::Text,
            });
            let report = ops::audit::run(ctx, &ops::audit::AuditOptions { offline, locked, jobs }, severity)?;
            p.audit(&report, format)
        }
        Command::Sbom { format, out, offline, jobs } => {
            let doc = ops::sbom::run(ctx, format, offline, jobs)?;
            match out {
                Some(path) => ops::sbom::write(&path, &doc)?,
                None => print!("{doc}"),
            }
            OK
        }
        Command::Run { plugin, action, args } => exit_code(ops::hook::run(ctx, &plugin, &action, &args)?),
        Command::History { what } => {
            // `-o json` given among the provider's flags is paii's own.
            let (what, json) = output_flag(what);
            exit_code(ops::hook::history(ctx, &what, json || p.format() == Format::Json)?)
        }
        Command::Config(ConfigCommand::Get { target }) => {
            p.config_rows(&[ops::config::get(ctx, &target)?]);
            OK
        }
        Command::Config(ConfigCommand::List { plugin }) => {
            p.config_rows(&ops::config::list(ctx, plugin.as_deref())?);
            OK
        }
        Command::Config(ConfigCommand::Set { target, value }) => {
            let row = ops::config::set(ctx, &target, &value)?;
            // A new generation carries the new value to the handlers: the
            // paii.toml the current generation came from is synced again,
            // wherever this command runs.
            let manifest = Some(ops::config::manifest_path(ctx));
            let quiet =
                Context { manifest, scope: ctx.scope, quiet: true, terminal: false, warn: Box::new(|_| {}), status: Box::new(|_| {}) };
            match sync(&quiet, &SyncOptions { offline: true, ..Default::default() }) {
                Ok(out) => p.status(&format!("applied: generation {} is current", out.current.unwrap_or_default())),
                Err(e) => p.status(&format!("saved, but not applied yet ({e}); run `paii sync`")),
            }
            {
                p.config_rows(&[row]);
                OK
            }
        }
        Command::Deactivate => {
            p.deactivated(&ops::doctor::deactivate(ctx)?);
            OK
        }
        Command::Plugin(PluginCommand::List) => {
            p.plugin_list(&ops::plugin::list(ctx)?);
            OK
        }
        Command::Plugin(PluginCommand::Info { name }) => {
            p.plugin_info(&ops::plugin::info(ctx, &name)?);
            OK
        }
        Command::Plugin(PluginCommand::Install { name, registry, git, rev, path, url, integrity, no_sync }) => {
            let spec = ops::plugin::InstallSpec { name, registry, git, rev, path, url, integrity };
            p.edit_outcome(&ops::plugin::install(ctx, &spec)?);
            if !no_sync {
                p.sync_outcome(&sync(ctx, &SyncOptions::default())?);
            }
            OK
        }
        Command::Plugin(PluginCommand::Update { names, no_sync }) => {
            p.lock_outcome(&ops::lock::run(ctx, &ops::lock::LockOptions { update: Some(names), check: false })?, false);
            if !no_sync {
                p.sync_outcome(&sync(ctx, &SyncOptions::default())?);
            }
            OK
        }
        Command::Plugin(PluginCommand::Remove { name, no_sync }) => {
            p.edit_outcome(&ops::plugin::remove(ctx, &name)?);
            if !no_sync {
                p.sync_outcome(&sync(ctx, &SyncOptions::default())?);
            }
            OK
        }
        Command::Plugin(PluginCommand::Verify { names }) => p.verify(&ops::verify::run(ctx, &names)?),
        Command::Plugin(PluginCommand::New { name, lang, dir }) => {
            p.scaffolded(&ops::scaffold::run(&name, lang, dir.as_deref())?);
            OK
        }
        Command::Registry(RegistryCommand::List) => {
            p.registry_list(&ops::registry::list(ctx)?);
            OK
        }
        Command::Registry(RegistryCommand::Add { name, location, git, marketplace, rev, path }) => {
            p.registry_added(&ops::registry::add(ctx, &ops::registry::AddSpec { name, location, git, marketplace, rev, path })?);
            OK
        }
        Command::Registry(RegistryCommand::Remove { name }) => {
            ops::registry::remove(ctx, &name)?;
            {
                p.registry_removed(&name);
                OK
            }
        }
        Command::Registry(RegistryCommand::Update { names }) => {
            p.registries_updated(&ops::registry::update(ctx, &names)?);
            OK
        }
        Command::Registry(RegistryCommand::Search { query }) => {
            p.search(&ops::registry::search(ctx, &query)?);
            OK
        }
        Command::Registry(RegistryCommand::Show { name }) => {
            p.registry_show(&ops::registry::show(ctx, &name)?);
            OK
        }
        Command::Registry(RegistryCommand::Validate { location, format, fetch, policy }) => {
            let format = format.unwrap_or(match p.format() {
                Format::Json => ValidateFormat::Json,
                Format::Text => ValidateFormat::Text,
            });
            p.validation(&ops::registry::validate(&location, fetch, policy.as_deref())?, format)
        }
        Command::Import(ImportCommand::Claude { write }) => {
            p.imported(&ops::import::claude(ctx, write)?);
            OK
        }
        Command::Man { out } => {
            let dir = match out {
                Some(d) => d,
                None => crate::util::paths::home_dir().unwrap_or_default().join(".local/share/man/man1"),
            };
            let written = man_pages(&dir).map_err(Error::io("cannot write man pages into", &dir))?;
            p.status(&format!("wrote {written} man pages into {} (`man paii` reads them)", dir.display()));
            OK
        }
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics on a closed pipe
            // (`paii completions bash | head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "paii", &mut script);
            use std::io::Write;
            let _ = std::io::stdout().write_all(&script);
            ExitCode::SUCCESS
        }
    })
}

/// Writes `paii.1` and a page per subcommand (`paii-hook-drain.1`) into
/// `dir`, each file whole (temp + rename); returns how many.
fn man_pages(dir: &std::path::Path) -> std::io::Result<usize> {
    fn write(cmd: clap::Command, name: String, dir: &std::path::Path, n: &mut usize) -> std::io::Result<()> {
        let cmd = cmd.name(name.clone()).bin_name(name.replace('-', " "));
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
        crate::util::fs::atomic_write(&dir.join(format!("{name}.1")), &page)?;
        *n += 1;
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            write(sub.clone(), format!("{name}-{}", sub.get_name()), dir, n)?;
        }
        Ok(())
    }
    std::fs::create_dir_all(dir)?;
    let mut n = 0;
    write(Cli::command(), "paii".into(), dir, &mut n)?;
    Ok(n)
}

/// A plugin's exit code as paii's (`run`, `history`).
fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Whether colour should be used on stderr.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal(),
    }
}

/// `args` without the `-o FORMAT` / `--output FORMAT` a trailing argument
/// list swallowed, and whether it asked for JSON.
fn output_flag(args: Vec<String>) -> (Vec<String>, bool) {
    let mut out = Vec::with_capacity(args.len());
    let mut json = false;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-o" | "--output" => json |= it.next().is_some_and(|v| v == "json"),
            _ if a.starts_with("--output=") || a.starts_with("-o=") => json |= a.ends_with("=json"),
            "-ojson" => json = true,
            _ => out.push(a),
        }
    }
    (out, json)
}
