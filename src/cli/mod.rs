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
        /// Arguments passed to the action
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Query the history through the MemoryProvider plugin
    History {
        /// `query TEXT...`, `recent` or `categories`
        #[arg(required = true, num_args = 1..)]
        what: Vec<String>,
    },
    /// Plugin settings: effective values and where they come from
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage and check registries
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Print shell completions
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
enum HookCommand {
    /// Run the handlers of EVENT with Claude Code's hook input on stdin
    /// (exit 2 blocks, anything else allows)
    Dispatch { event: String },
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
enum ConfigCommand {
    /// The effective value of PLUGIN.KEY
    Get { target: String },
    /// Set PLUGIN.KEY in $PAII_HOME/config/PLUGIN.toml (type-checked) and apply it
    Set { target: String, value: String },
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
}

#[derive(Debug, Subcommand)]
enum RegistryCommand {
    /// List the registries in priority order
    List,
    /// Add a registry (lowest priority)
    Add {
        name: String,
        /// URL (https, http, file) or local path of the registry file
        #[arg(required_unless_present = "git")]
        location: Option<String>,
        /// A git repository holding the registry file
        #[arg(long, conflicts_with = "location")]
        git: Option<String>,
        /// Commit, tag or branch of --git
        #[arg(long, requires = "git")]
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
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ValidateFormat {
    Text,
    Json,
    Github,
}

pub fn main() -> ExitCode {
    // The hot path (when paii-cli is run directly; `paii` itself answers
    // it without starting the CLI): no argument parsing, logging or TLS.
    let mut args = std::env::args_os();
    if let (Some(_), Some(a), Some(b), Some(event), None) = (args.next(), args.next(), args.next(), args.next(), args.next())
        && a == "hook"
        && b == "dispatch"
    {
        return ExitCode::from(crate::dispatch::main(&event.to_string_lossy()));
    }
    let cli = Cli::parse();
    if let Err(e) = crate::util::fail::setup() {
        eprintln!("warning: {e}; failpoints are ignored");
    }
    crate::util::log::init(cli.global.verbose);
    crate::source::http::init_tls();
    let printer = Printer::new(cli.global.output, cli.global.color, cli.global.quiet);
    let ctx = Context {
        manifest: cli.global.manifest.clone(),
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

fn run(command: Command, ctx: &Context, p: &Printer) -> Result<ExitCode, Error> {
    match command {
        Command::Init => {
            let out = ops::init::run(ctx)?;
            p.status(&format!("created {}", out.manifest.display()));
            p.json(&serde_json::json!({ "home": out.home, "manifest": out.manifest }));
        }
        Command::Lock { update, check } => {
            let out = ops::lock::run(ctx, &ops::lock::LockOptions { update, check })?;
            p.lock_outcome(&out, check);
        }
        Command::Sync { locked, frozen, offline, dry_run, jobs } => {
            let opts = ops::sync::SyncOptions { locked, frozen, offline, dry_run, jobs };
            p.sync_outcome(&ops::sync::run(ctx, &opts)?);
        }
        Command::Build { plugins, check: true, jobs } => {
            let checked = ops::build::check(ctx, &plugins, jobs)?;
            if p.format() == Format::Json {
                p.json(&checked);
            } else {
                for c in &checked {
                    if c.differ.is_empty() && c.relocated.is_empty() && c.timestamped.is_empty() {
                        println!("{} {}: reproducible (a second build is identical)", c.name, c.version);
                    } else if c.differ.is_empty() {
                        println!(
                            "{} {}: reproducible (a second build is identical but for the path it was built at, in {} file(s), and times the installer recorded, in {})",
                            c.name,
                            c.version,
                            c.relocated.len(),
                            c.timestamped.len()
                        );
                    } else {
                        println!("{} {}: {} file(s) differ in a second build:", c.name, c.version, c.differ.len());
                        for f in &c.differ {
                            println!("  {f}");
                        }
                    }
                }
            }
            if checked.iter().any(|c| !c.differ.is_empty()) {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Build { plugins, check: false, jobs } => {
            let built = ops::build::run(ctx, &plugins, jobs)?;
            if p.format() == Format::Json {
                p.json(&built);
            } else {
                for b in &built {
                    let what = match (&b.build, b.built) {
                        (Some(path), true) => format!("built into {}", path.display()),
                        (Some(path), false) => format!("in the store at {}", path.display()),
                        (None, _) => "nothing to build".to_string(),
                    };
                    p.status(&format!("{} {}: {what}", b.name, b.version));
                }
            }
        }
        Command::Generations(GenerationsCommand::List) => {
            let list = ops::generations::list(ctx)?;
            if p.format() == Format::Json {
                p.json(&list);
            } else {
                println!("GEN  CREATED               PARENT  PLUGINS");
                for g in &list {
                    let parent = g.parent.map_or_else(|| "-".to_string(), |n| n.to_string());
                    let mark = if g.current { "  (current)" } else { "" };
                    println!("{:<4} {}  {:<6}  {}{mark}", g.number, g.created, parent, g.plugins);
                }
            }
        }
        Command::Generations(GenerationsCommand::Diff { a, b }) => {
            let d = ops::generations::diff(ctx, a, b)?;
            if p.format() == Format::Json {
                p.json(&d);
            } else {
                for x in &d.added {
                    println!("+ {x}");
                }
                for x in &d.removed {
                    println!("- {x}");
                }
                for x in &d.changed {
                    println!("~ {x}");
                }
            }
        }
        Command::Gc { keep, dry_run } => {
            let c = ops::generations::gc(ctx, keep, dry_run)?;
            if p.format() == Format::Json {
                p.json(&c);
            } else {
                let verb = if c.dry_run { "would remove" } else { "removed" };
                p.status(&format!(
                    "{verb} {} generation(s) and {} store entr{}, freeing {:.1} MB",
                    c.generations.len(),
                    c.store_entries.len(),
                    if c.store_entries.len() == 1 { "y" } else { "ies" },
                    c.bytes as f64 / 1e6
                ));
            }
        }
        Command::Status => {
            let s = ops::status::run(ctx)?;
            if p.format() == Format::Json {
                p.json(&s);
            } else {
                match s.current {
                    Some(n) => println!("generation {n} is current ({} plugins)", s.plugins.len()),
                    None => println!("no generation yet"),
                }
                for plugin in &s.plugins {
                    println!("  {plugin}");
                }
                if s.drift.is_empty() {
                    println!("in sync");
                }
                for d in &s.drift {
                    println!("drift: {d}");
                }
            }
            if !s.drift.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Rollback => {
            let s = ops::generations::switch(ctx, None)?;
            p.claude_changes(&s.claude);
            p.status(&format!("rolled back to generation {}", s.number));
            p.json(&serde_json::json!({ "current": s.number, "claude": s.claude }));
        }
        Command::Switch { number } => {
            let s = ops::generations::switch(ctx, Some(number))?;
            p.claude_changes(&s.claude);
            p.status(&format!("switched to generation {}", s.number));
            p.json(&serde_json::json!({ "current": s.number, "claude": s.claude }));
        }
        Command::Doctor { fix } => {
            let r = ops::doctor::run(ctx, fix)?;
            if p.format() == Format::Json {
                p.json(&r);
            } else {
                for f in &r.findings {
                    let hint = match (&f.hint, f.fixable && !fix) {
                        (_, true) => " (`paii doctor --fix` repairs it)".to_string(),
                        (Some(h), false) => format!(" ({h})"),
                        (None, false) => String::new(),
                    };
                    println!("problem: {}{hint}", f.what);
                }
                for f in &r.fixed {
                    println!("fixed: {f}");
                }
                if r.findings.is_empty() {
                    p.status("no problems found");
                }
            }
            let unrepaired = r.findings.iter().any(|f| !(fix && f.fixable));
            if unrepaired {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Hook(HookCommand::Dispatch { event }) => return Ok(ExitCode::from(crate::dispatch::main(&event))),
        Command::Hook(HookCommand::List) => {
            let (generation, rows) = ops::hook::list(ctx)?;
            if p.format() == Format::Json {
                p.json(&serde_json::json!({ "generation": generation, "handlers": rows }));
            } else if rows.is_empty() {
                p.status(&format!("generation {generation} handles no hook events"));
            } else {
                println!("{:<22} {:<16} {:<24} {:>8}  FAIL", "EVENT", "PLUGIN", "MATCHER", "TIMEOUT");
                for r in &rows {
                    let fail = if r.fail_closed { "closed" } else { "open" };
                    println!("{:<22} {:<16} {:<24} {:>6}ms  {fail}", r.event, r.plugin, r.matcher.as_deref().unwrap_or("*"), r.timeout_ms);
                }
            }
        }
        Command::Hook(HookCommand::Test { event, input, plugin }) => {
            let o = ops::hook::test(ctx, &event, input.as_deref(), plugin)?;
            if p.format() == Format::Json {
                p.json(&o);
            } else {
                if let Some(e) = &o.error {
                    println!("nothing ran: {e}");
                }
                if o.handlers.is_empty() && o.error.is_none() {
                    println!(
                        "no handler of `{}` matches this input (tool events match its `tool_name`: give one with --input FILE)",
                        o.event
                    );
                }
                for h in &o.handlers {
                    let exit = h.exit.map_or_else(|| "-".to_string(), |c| c.to_string());
                    println!(
                        "{}: {} (exit {exit}, {} ms){}",
                        h.plugin,
                        h.decision,
                        h.duration_ms,
                        h.error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
                    );
                    for (name, text) in [("stdout", &h.stdout), ("stderr", &h.stderr)] {
                        for line in text.lines() {
                            println!("  {name}| {line}");
                        }
                    }
                }
                println!("decision: {} (paii would exit {})", o.decision, o.code);
                if !o.stdout.is_empty() {
                    println!("stdout to Claude Code: {}", o.stdout.trim_end());
                }
                if !o.stderr.is_empty() {
                    println!("stderr to Claude Code:\n{}", o.stderr.trim_end());
                }
            }
        }
        Command::Run { plugin, action, args } => {
            let code = ops::hook::run(ctx, &plugin, &action, &args)?;
            return Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)));
        }
        Command::History { what } => {
            let code = ops::hook::history(ctx, &what)?;
            return Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)));
        }
        Command::Config(cmd) => {
            let rows = match cmd {
                ConfigCommand::Get { target } => vec![ops::config::get(ctx, &target)?],
                ConfigCommand::List { plugin } => ops::config::list(ctx, plugin.as_deref())?,
                ConfigCommand::Set { target, value } => {
                    let row = ops::config::set(ctx, &target, &value)?;
                    // A new generation carries the new value to the handlers.
                    // The paii.toml the current generation came from, wherever
                    // this command runs.
                    let manifest = Some(ops::config::manifest_path(ctx));
                    let quiet = Context { manifest, quiet: true, terminal: false, warn: Box::new(|_| {}), status: Box::new(|_| {}) };
                    let opts = ops::sync::SyncOptions { offline: true, ..Default::default() };
                    match ops::sync::run(&quiet, &opts) {
                        Ok(out) => p.status(&format!("applied: generation {} is current", out.current.unwrap_or_default())),
                        Err(e) => p.status(&format!("saved, but not applied yet ({e}); run `paii sync`")),
                    }
                    vec![row]
                }
            };
            if p.format() == Format::Json {
                p.json(&rows);
            } else {
                for r in &rows {
                    let value = r.value.as_ref().map_or_else(|| "(unset)".to_string(), |v| v.to_string());
                    let origin = match &r.origin {
                        Some(ops::config::Origin::Default) | None => "default".to_string(),
                        Some(ops::config::Origin::Manifest(path)) | Some(ops::config::Origin::User(path)) => path.display().to_string(),
                    };
                    println!("{}.{} = {value}  ({}, from {origin})", r.plugin, r.key, r.kind);
                }
            }
        }
        Command::Deactivate => {
            let c = ops::doctor::deactivate(ctx)?;
            p.claude_changes(&c);
            p.status("deactivated: Claude Code's files hold nothing of paii's (`paii sync` or `paii switch N` brings it back)");
            p.json(&c);
        }
        Command::Plugin(cmd) => match cmd {
            PluginCommand::List => p.plugin_list(&ops::plugin::list(ctx)?),
            PluginCommand::Info { name } => p.plugin_info(&ops::plugin::info(ctx, &name)?),
            PluginCommand::Install { name, registry, git, rev, path, url, integrity, no_sync } => {
                let spec = ops::plugin::InstallSpec { name, registry, git, rev, path, url, integrity };
                p.edit_outcome(&ops::plugin::install(ctx, &spec)?);
                if !no_sync {
                    p.sync_outcome(&ops::sync::run(ctx, &ops::sync::SyncOptions::default())?);
                }
            }
            PluginCommand::Update { names, no_sync } => {
                let out = ops::lock::run(ctx, &ops::lock::LockOptions { update: Some(names), check: false })?;
                p.lock_outcome(&out, false);
                if !no_sync {
                    p.sync_outcome(&ops::sync::run(ctx, &ops::sync::SyncOptions::default())?);
                }
            }
            PluginCommand::Remove { name, no_sync } => {
                p.edit_outcome(&ops::plugin::remove(ctx, &name)?);
                if !no_sync {
                    p.sync_outcome(&ops::sync::run(ctx, &ops::sync::SyncOptions::default())?);
                }
            }
            PluginCommand::Verify { names } => {
                let report = ops::verify::run(ctx, &names)?;
                p.verify(&report);
                if report.iter().any(|v| !v.ok) {
                    return Ok(ExitCode::FAILURE);
                }
            }
        },
        Command::Registry(cmd) => match cmd {
            RegistryCommand::List => p.registry_list(&ops::registry::list(ctx)?),
            RegistryCommand::Add { name, location, git, rev, path } => {
                let spec = ops::registry::AddSpec { name, location, git, rev, path };
                let added = ops::registry::add(ctx, &spec)?;
                p.status(&format!("added registry `{}` ({}) at priority {}", added.name, added.source, added.priority));
                p.json(&added);
            }
            RegistryCommand::Remove { name } => {
                ops::registry::remove(ctx, &name)?;
                p.status(&format!("removed registry `{name}`"));
                p.json(&serde_json::json!({ "removed": name }));
            }
            RegistryCommand::Update { names } => {
                let updated = ops::registry::update(ctx, &names)?;
                if p.format() == Format::Json {
                    p.json(&updated);
                } else {
                    for u in &updated {
                        let at = u.commit.as_deref().map(|c| format!(" at {}", &c[..c.len().min(12)])).unwrap_or_default();
                        p.status(&format!("{}: {} versions from {}{at} ({})", u.name, u.versions, u.source, u.hash));
                    }
                }
            }
            RegistryCommand::Search { query } => p.search(&ops::registry::search(ctx, &query)?),
            RegistryCommand::Show { name } => p.registry_show(&ops::registry::show(ctx, &name)?),
            RegistryCommand::Validate { location, format, fetch } => {
                let report = ops::registry::validate(&location, fetch)?;
                let format = format.unwrap_or(match p.format() {
                    Format::Json => ValidateFormat::Json,
                    Format::Text => ValidateFormat::Text,
                });
                let text = match format {
                    ValidateFormat::Text => report.render_text(),
                    ValidateFormat::Github => report.render_github(),
                    ValidateFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
                };
                print!("{text}");
                return Ok(if report.valid { ExitCode::SUCCESS } else { ExitCode::FAILURE });
            }
        },
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "paii", &mut std::io::stdout());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether colour should be used on stderr.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal(),
    }
}
