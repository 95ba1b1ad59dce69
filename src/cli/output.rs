//! Printing: listings on stdout as text or JSON, status and diagnostics on
//! stderr.

use std::io::IsTerminal;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};
use serde::Serialize;

use super::{ColorChoice, Format, ValidateFormat, use_color};
use crate::diagnostic::{Warning, display_name};
use crate::dispatch::Outcome;
use crate::generation::plugin_config::Origin;
use crate::ops::build::Checked;
use crate::ops::config::Row as ConfigRow;
use crate::ops::doctor::Report as DoctorReport;
use crate::ops::generations::{Collected, GenerationDiff, ListedGeneration, Switched};
use crate::ops::hook::Row as HookRow;
use crate::ops::init::InitOutcome;
use crate::ops::lock::LockOutcome;
use crate::ops::plugin::{EditOutcome, ListedPlugin, PluginInfo};
use crate::ops::registry::UpdatedRegistry;
use crate::ops::registry::{ListedRegistry, RegistryDetails, SearchHit};
use crate::ops::stage::build::SyncedPlugin;
use crate::ops::status::Status;
use crate::ops::sync::SyncOutcome;
use crate::ops::verify::Verified;
use crate::registry::validate::Report as ValidationReport;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    format: Format,
    color: bool,
    quiet: bool,
}

impl Printer {
    pub fn new(format: Format, color: ColorChoice, quiet: bool) -> Printer {
        Printer { format, color: use_color(color), quiet }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    fn render(&self, diagnostic: &dyn Diagnostic) -> String {
        let theme = if self.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let mut out = String::new();
        // On a terminal, wrap to fit; in logs and pipes keep each line whole
        // so that it can be searched.
        let width = if self.color || std::io::stderr().is_terminal() { 100 } else { usize::MAX / 2 };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(width);
        if handler.render_report(&mut out, diagnostic).is_err() {
            out = diagnostic.to_string();
        }
        out
    }

    pub fn error(&self, e: &dyn Diagnostic) {
        eprint!("{}", self.render(e));
    }

    pub fn warning(&self, w: &Warning) {
        if !self.quiet {
            eprint!("{}", self.render(w));
        }
    }

    /// A progress or result line for people; stderr, silenced by `-q`.
    pub fn status(&self, line: &str) {
        if !self.quiet && self.format == Format::Text {
            eprintln!("{line}");
        }
    }

    /// Prints `value` as JSON when `-o json` was asked for.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) {
        if self.format == Format::Json {
            println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
        }
    }

    pub fn lock_outcome(&self, out: &LockOutcome, check: bool) {
        if self.format == Format::Json {
            self.json(&serde_json::json!({
                "path": out.path,
                "written": out.written,
                "changes": out.diff,
                "plugins": out.lock.plugins.iter().map(ListedPlugin::from).collect::<Vec<_>>(),
            }));
            return;
        }
        let n = out.lock.plugins.len();
        let summary = format!("{n} plugin{}", if n == 1 { "" } else { "s" });
        if check {
            self.status(&format!("{} is up to date ({summary})", display_name(&out.path)));
        } else if out.written {
            self.status(&format!("wrote {} ({summary})", display_name(&out.path)));
            self.status(out.diff.render().trim_end());
        } else {
            self.status(&format!("{} is up to date ({summary})", display_name(&out.path)));
        }
    }

    pub fn sync_outcome(&self, out: &SyncOutcome) {
        if self.format == Format::Json {
            return self.json(&serde_json::json!({
                "dry_run": out.dry_run,
                "lock": { "path": out.lock.path, "written": out.lock.written, "changes": out.lock.diff },
                "plugins": out.plugins,
                "generation": out.generation,
                "current": out.current,
                "scope": out.scope,
                "claude": if out.claude_known { serde_json::to_value(&out.claude).unwrap_or_default() } else { serde_json::Value::Null },
                "awaiting_approval": out.awaiting,
            }));
        }
        self.awaiting(&out.awaiting, out.dry_run);
        if out.dry_run {
            let rendered = out.lock.diff.render();
            if !rendered.is_empty() {
                self.status(&format!("would change {}:\n{}", display_name(&out.lock.path), rendered.trim_end()));
            }
            for p in out.plugins.iter().filter(|p| p.fetched) {
                self.status(&format!("would fetch {} {} ({})", p.name, p.version, p.source));
            }
            if !out.claude_known {
                self.status("Claude Code's changes are known once every plugin is fetched");
            } else if out.claude.is_empty() {
                self.status("Claude Code's files would not change");
            } else {
                self.status(&format!(
                    "would change Claude Code's files:\n{}",
                    out.claude.lines().iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
                ));
            }
            self.status("dry run: nothing was changed");
            return;
        }
        if out.lock.written {
            self.status(&format!("updated {}", display_name(&out.lock.path)));
        }
        let fetched = out.plugins.iter().filter(|p| p.fetched).count();
        let n = out.plugins.len();
        self.status(&format!(
            "{n} plugin{} in the store ({fetched} fetched, {} already there)",
            if n == 1 { "" } else { "s" },
            n - fetched
        ));
        self.claude_changes(&out.claude);
        let scope = out.scope.describe();
        match (out.generation, out.current) {
            (Some(n), _) => self.status(&format!("generation {n} is current ({scope})")),
            (None, Some(n)) => self.status(&format!("nothing changed; generation {n} stays current ({scope})")),
            (None, None) => {}
        }
        let with_build = out.plugins.iter().filter(|p| p.build.is_some()).count();
        if with_build > 0 {
            let built = out.plugins.iter().filter(|p| p.built).count();
            self.status(&format!("{with_build} built ({built} built now, {} already in the store)", with_build - built));
        }
    }

    pub fn approved(&self, out: &crate::ops::approve::Approved) {
        if self.format == Format::Json {
            return self.json(out);
        }
        for a in &out.plugins {
            let what = [
                (a.surface.hooks.len(), "hook"),
                (a.surface.mcp.len(), "MCP server"),
                (a.surface.lsp.len(), "language server"),
                (a.surface.build.len(), "build command"),
            ]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, w)| format!("{n} {w}{}", if *n == 1 { "" } else { "s" }))
            .collect::<Vec<_>>()
            .join(", ");
            let verb = if a.already { "already approved" } else { "approved" };
            self.status(&format!("{verb} {} {} ({what})", a.name, a.version));
        }
        for n in &out.local {
            self.status(&format!("{n} is a path plugin, yours: it is never held, so needs no approval"));
        }
        for n in &out.nothing_to_run {
            self.status(&format!("{n} runs nothing (skills, agents, commands only): no approval needed"));
        }
        if out.lock_written {
            self.status("recorded in paii.lock; commit it so that the team installs what you approved");
        }
        if !out.required {
            self.status("note: paii.toml does not set `[policy] require-approval = true`, so plugins run whether approved or not");
        }
    }

    /// The plugins held until `paii approve`, each with what it would run.
    pub fn awaiting(&self, awaiting: &[crate::ops::stage::approval::Awaiting], dry_run: bool) {
        if awaiting.is_empty() {
            return;
        }
        let mut text = format!(
            "{} {} approval ([policy] require-approval): {} without hooks, MCP servers or build until `paii approve NAME` (or `--all`) records what it runs:",
            awaiting.len(),
            if awaiting.len() == 1 { "plugin awaits" } else { "plugins await" },
            if dry_run { "would be installed" } else { "installed" }
        );
        for a in awaiting {
            text.push_str(&format!(
                "\n  {} {}{}",
                a.name,
                a.version,
                if a.changed { " (changed since it was approved)" } else { " (new)" }
            ));
            for h in &a.surface.hooks {
                text.push_str(&format!("\n    hook   {h}"));
            }
            for m in &a.surface.mcp {
                text.push_str(&format!("\n    mcp    {m}"));
            }
            for l in &a.surface.lsp {
                text.push_str(&format!("\n    lsp    {l}"));
            }
            for b in &a.surface.build {
                text.push_str(&format!("\n    build  {b}"));
            }
        }
        self.status(&text);
    }

    /// What changed in Claude Code's files, one line each.
    pub fn claude_changes(&self, changes: &crate::claude::Changes) {
        if self.format == Format::Json || changes.is_empty() {
            return;
        }
        self.status(&format!("Claude Code:\n{}", changes.lines().iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")));
    }

    pub fn verify(&self, report: &[Verified]) -> ExitCode {
        let failed = if report.iter().any(|v| !v.ok) { ExitCode::FAILURE } else { ExitCode::SUCCESS };
        if self.format == Format::Json {
            self.json(report);
            return failed;
        }
        for v in report {
            match &v.computed {
                None => println!("ok       {}", v.entry),
                Some(c) if c.starts_with('(') => println!("MISSING  {} {c}", v.entry),
                Some(c) => println!("CORRUPT  {} (now hashes to {c})", v.entry),
            }
        }
        let bad = report.iter().filter(|v| !v.ok).count();
        self.status(&format!("{} entr{} checked, {bad} corrupt", report.len(), if report.len() == 1 { "y" } else { "ies" }));
        failed
    }

    pub fn edit_outcome(&self, out: &EditOutcome) {
        match &out.entry {
            Some(entry) => self.status(&format!("added `{} = {entry}` to paii.toml", out.name)),
            None => self.status(&format!("removed `{}` from paii.toml", out.name)),
        }
        self.lock_outcome(&out.lock, false);
    }

    pub fn plugin_list(&self, plugins: &[ListedPlugin]) {
        if self.format == Format::Json {
            return self.json(plugins);
        }
        let rows: Vec<Vec<String>> = plugins
            .iter()
            .map(|p| vec![p.name.clone(), p.version.clone(), p.registry.clone().unwrap_or_else(|| p.source.clone()), p.provides.join(", ")])
            .collect();
        print!("{}", table(&["NAME", "VERSION", "FROM", "PROVIDES"], &rows));
    }

    pub fn plugin_info(&self, info: &PluginInfo) {
        if self.format == Format::Json {
            return self.json(info);
        }
        let mut out = format!("{}\n", info.name);
        if let Some(d) = info.description.as_deref().filter(|d| !d.is_empty()) {
            out.push_str(&format!("  {d}\n"));
        }
        out.push_str(&format!("  requested:  {}\n", info.requested));
        if !info.hooks {
            out.push_str("  hooks:      off\n");
        }
        if !info.mcp {
            out.push_str("  mcp:        off\n");
        }
        match &info.locked {
            Some(l) => {
                out.push_str(&format!("  locked:     {}\n", l.version));
                out.push_str(&format!("  source:     {}\n", l.source));
                if let Some(s) = &info.subdir {
                    out.push_str(&format!("  subdir:     {s}\n"));
                }
                if let Some(i) = &info.integrity {
                    out.push_str(&format!("  integrity:  {i}\n"));
                }
                if !l.provides.is_empty() {
                    out.push_str(&format!("  provides:   {}\n", l.provides.join(", ")));
                }
                for (k, v) in &l.wiring {
                    out.push_str(&format!("  wiring:     {k} -> {v}\n"));
                }
            }
            None => out.push_str("  locked:     (not locked; run `paii lock`)\n"),
        }
        for c in &info.consumes {
            out.push_str(&format!("  consumes:   {c}\n"));
        }
        if let Some(command) = &info.command {
            out.push_str(&format!("  command:    {}\n", command.join(" ")));
        }
        if !info.available.is_empty() {
            let vs: Vec<String> =
                info.available.iter().map(|a| if a.yanked { format!("{} (yanked)", a.version) } else { a.version.clone() }).collect();
            out.push_str(&format!("  available:  {} from {}\n", vs.join(", "), info.available[0].registry));
        }
        print!("{out}");
    }

    pub fn registry_list(&self, regs: &[ListedRegistry]) {
        if self.format == Format::Json {
            return self.json(regs);
        }
        let rows: Vec<Vec<String>> = regs
            .iter()
            .map(|r| {
                vec![
                    r.priority.to_string(),
                    r.name.clone(),
                    r.plugins.map_or_else(|| "error".to_string(), |n| n.to_string()),
                    r.source.clone(),
                ]
            })
            .collect();
        print!("{}", table(&["#", "NAME", "PLUGINS", "SOURCE"], &rows));
        for r in regs {
            if let Some(e) = &r.error {
                eprintln!("{}: {e}", r.name);
            }
        }
    }

    pub fn search(&self, hits: &[SearchHit]) {
        if self.format == Format::Json {
            return self.json(hits);
        }
        let rows: Vec<Vec<String>> =
            hits.iter().map(|h| vec![h.name.clone(), h.version.clone(), h.registry.clone(), h.description.clone()]).collect();
        print!("{}", table(&["NAME", "VERSION", "REGISTRY", "DESCRIPTION"], &rows));
    }

    pub fn registry_show(&self, d: &RegistryDetails) {
        if self.format == Format::Json {
            return self.json(d);
        }
        println!("{} ({}): {}", d.name, d.source, d.description);
        let rows: Vec<Vec<String>> = d
            .plugins
            .iter()
            .map(|p| {
                let mut versions = p.versions.join(", ");
                if !p.yanked.is_empty() {
                    versions.push_str(&format!(" (yanked: {})", p.yanked.join(", ")));
                }
                vec![p.name.clone(), versions, p.provides.join(", ")]
            })
            .collect();
        print!("{}", table(&["NAME", "VERSIONS", "PROVIDES"], &rows));
    }

    pub fn imported(&self, out: &crate::ops::import::Imported) {
        if self.format == Format::Json {
            self.json(out);
            return;
        }
        for (name, value) in &out.registries {
            println!("+ [registries] {name} = {value}");
        }
        for (name, registry) in &out.plugins {
            let version = out.pinned.get(name).map_or("*", String::as_str);
            println!("+ [plugins] {name} = {{ version = \"{version}\", registry = \"{registry}\" }}");
        }
        for s in &out.skipped {
            println!("  skipped {}: {}", s.what, s.why);
        }
        if out.registries.is_empty() && out.plugins.is_empty() {
            self.status("nothing to import");
        } else if out.written {
            self.status(&format!("wrote {}; `paii sync` installs them and turns off Claude Code's own copies", out.manifest));
        } else {
            self.status(&format!("dry run: `paii import claude --write` adds these to {}", out.manifest));
        }
    }

    pub fn key_generated(&self, out: &crate::ops::cache::Generated) {
        if self.format == Format::Json {
            self.json(out);
            return;
        }
        println!("{}", out.public);
        self.status(&format!(
            "wrote the secret key to {} (keep it out of version control; CI holds it as a secret)",
            out.secret_file.display()
        ));
        self.status("add the public key above to `[cache] trusted-keys` in paii.toml");
    }

    pub fn published(&self, out: &crate::ops::cache::Published) {
        if self.format == Format::Json {
            self.json(out);
            return;
        }
        self.status(&format!("published {} {} to {} ({} bytes uploaded)", out.name, out.version, out.source, out.uploaded));
        self.status("add this entry to a registry file, or request it in paii.toml as `{ oci = \"...\" }`:");
        print!("{}", out.entry);
    }

    pub fn cache_pushed(&self, out: &crate::ops::cache::PushOutcome) {
        if self.format == Format::Json {
            self.json(out);
            return;
        }
        let mut total = 0;
        for o in &out.sources {
            self.status(&format!("source  {} {} ({} bytes)", o.name, o.version, o.uploaded));
            total += o.uploaded;
        }
        for o in &out.outputs {
            match &o.skipped {
                Some(why) => self.status(&format!("skipped {} {}: {why}", o.name, o.version)),
                None if o.uploaded == 0 => self.status(&format!("present {} {} (the cache has it)", o.name, o.version)),
                None => self.status(&format!("pushed  {} {} ({} bytes)", o.name, o.version, o.uploaded)),
            }
            total += o.uploaded;
        }
        self.status(&format!(
            "{} output(s) in {}, signed by {}; {total} bytes uploaded",
            out.outputs.iter().filter(|o| o.skipped.is_none()).count(),
            out.to,
            out.signed_by
        ));
    }

    pub fn scaffolded(&self, out: &crate::ops::scaffold::Scaffolded) {
        if self.format == Format::Json {
            self.json(out);
            return;
        }
        let lang = serde_json::to_value(out.lang).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        self.status(&format!("created plugin `{}` ({lang}) in {}", out.name, out.dir.display()));
        for f in &out.files {
            self.status(&format!("  {f}"));
        }
        self.status(&format!(
            "next: add `{} = {{ path = \"{}\" }}` to [plugins] in paii.toml and run `paii sync`",
            out.name,
            out.dir.display()
        ));
    }

    pub fn init(&self, out: &InitOutcome) {
        self.status(&format!("created {}", out.manifest.display()));
        self.json(&serde_json::json!({ "home": out.home, "manifest": out.manifest }));
    }

    /// `paii build --check`: exit 1 when a second build differs.
    pub fn audit(&self, report: &crate::ops::audit::Report, format: super::AuditFormat) -> ExitCode {
        use crate::ops::audit::Finding;
        match format {
            super::AuditFormat::Json => self.json(report),
            super::AuditFormat::Sarif => {
                println!("{}", serde_json::to_string_pretty(&crate::ops::audit::sarif(report)).unwrap_or_default())
            }
            super::AuditFormat::Text => {
                let line = |f: &Finding| {
                    let severity = match (&f.informational, f.severity) {
                        (Some(kind), _) => kind.clone(),
                        (None, Some(s)) => s.as_str().to_string(),
                        (None, None) => "unscored".to_string(),
                    };
                    println!(
                        "{} {} {} {} in plugin {} {} ({})",
                        f.id, severity, f.package, f.version, f.plugin, f.plugin_version, f.lockfile
                    );
                    println!("    {}; {}", f.summary, f.remedy());
                    if let Some(url) = &f.url {
                        println!("    {url}");
                    }
                    if let Some(why) = &f.ignored_because {
                        println!("    ignored: {why}");
                    }
                };
                for d in &report.databases {
                    println!("database {}: {} ({} records)", d.name, d.source, d.records);
                }
                for f in &report.findings {
                    line(f);
                }
                if !report.warnings.is_empty() {
                    println!("warnings (informational advisories, never failing):");
                    report.warnings.iter().for_each(line);
                }
                if !report.ignored.is_empty() {
                    println!("ignored by [audit] ignore:");
                    report.ignored.iter().for_each(line);
                }
                for u in &report.unreadable {
                    println!("unreadable record: {u}");
                }
                let failing = report.failing().count();
                println!(
                    "{} plugins, {} packages checked: {} vulnerabilities ({} at or above {}), {} warnings, {} ignored",
                    report.plugins,
                    report.packages,
                    report.findings.len(),
                    failing,
                    report.severity.as_str(),
                    report.warnings.len(),
                    report.ignored.len()
                );
            }
        }
        if report.fails() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
    }

    pub fn build_checked(&self, checked: &[Checked]) -> ExitCode {
        if self.format == Format::Json {
            self.json(checked);
        } else {
            for c in checked {
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
        if checked.iter().any(|c| !c.differ.is_empty()) { ExitCode::FAILURE } else { ExitCode::SUCCESS }
    }

    pub fn built(&self, built: &[SyncedPlugin]) {
        if self.format == Format::Json {
            return self.json(built);
        }
        for b in built {
            let what = match (&b.build, b.built) {
                (Some(path), true) => format!("built into {}", path.display()),
                (Some(path), false) => format!("in the store at {}", path.display()),
                (None, _) => "nothing to build".to_string(),
            };
            self.status(&format!("{} {}: {what}", b.name, b.version));
        }
    }

    pub fn generations(&self, list: &[ListedGeneration]) {
        if self.format == Format::Json {
            return self.json(list);
        }
        println!("GEN  CREATED               PARENT  PLUGINS");
        for g in list {
            let parent = g.parent.map_or_else(|| "-".to_string(), |n| n.to_string());
            let mark = if g.current { "  (current)" } else { "" };
            println!("{:<4} {}  {:<6}  {}{mark}", g.number, g.created, parent, g.plugins);
        }
    }

    pub fn generations_diff(&self, d: &GenerationDiff) {
        if self.format == Format::Json {
            return self.json(d);
        }
        for (mark, names) in [("+", &d.added), ("-", &d.removed), ("~", &d.changed)] {
            for x in names {
                println!("{mark} {x}");
            }
        }
    }

    pub fn collected(&self, c: &Collected) {
        if self.format == Format::Json {
            return self.json(c);
        }
        let verb = if c.dry_run { "would remove" } else { "removed" };
        for p in &c.projects {
            self.status(&format!("{verb} a project's generations and MCP servers: {p}"));
        }
        self.status(&format!(
            "{verb} {} generation(s) and {} store entr{}, freeing {:.1} MB",
            c.generations.len(),
            c.store_entries.len(),
            if c.store_entries.len() == 1 { "y" } else { "ies" },
            c.bytes as f64 / 1e6
        ));
    }

    /// `paii status`: exit 1 on drift.
    pub fn status_report(&self, s: &Status) -> ExitCode {
        if self.format == Format::Json {
            self.json(s);
        } else {
            println!("{}", s.scope.describe());
            match s.current {
                Some(n) => println!("generation {n} is current ({} plugins)", s.plugins.len()),
                None => println!("no generation yet"),
            }
            for plugin in &s.plugins {
                let held = s.held.iter().any(|h| plugin.split(' ').next() == Some(h.as_str()));
                println!("  {plugin}{}", if held { " (awaits `paii approve`: its hooks, servers and build are off)" } else { "" });
            }
            if s.drift.is_empty() {
                println!("in sync");
            }
            for d in &s.drift {
                println!("drift: {d}");
            }
        }
        if s.drift.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
    }

    /// `rollback` and `switch`.
    pub fn switched(&self, s: &Switched, verb: &str) {
        self.claude_changes(&s.claude);
        self.status(&format!("{verb} generation {}", s.number));
        self.json(&serde_json::json!({ "current": s.number, "scope": s.scope, "claude": s.claude }));
    }

    /// `paii doctor`: exit 1 when problems are left.
    pub fn doctor(&self, r: &DoctorReport, fix: bool) -> ExitCode {
        if self.format == Format::Json {
            self.json(r);
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
                self.status(&format!("no problems found ({})", r.scope.describe()));
            }
        }
        if r.findings.iter().any(|f| !(fix && f.fixable)) { ExitCode::FAILURE } else { ExitCode::SUCCESS }
    }

    pub fn hook_list(&self, generation: u32, rows: &[HookRow]) {
        if self.format == Format::Json {
            return self.json(&serde_json::json!({ "generation": generation, "handlers": rows }));
        }
        if rows.is_empty() {
            return self.status(&format!("generation {generation} handles no hook events"));
        }
        println!("{:<22} {:<16} {:<24} {:>8}  FAIL", "EVENT", "PLUGIN", "MATCHER", "TIMEOUT");
        for r in rows {
            let fail = if r.fail_closed { "closed" } else { "open" };
            println!("{:<22} {:<16} {:<24} {:>6}ms  {fail}", r.event, r.plugin, r.matcher.as_deref().unwrap_or("*"), r.timeout_ms);
        }
    }

    pub fn hook_test(&self, o: &Outcome) {
        if self.format == Format::Json {
            return self.json(o);
        }
        if let Some(e) = &o.error {
            println!("nothing ran: {e}");
        }
        if o.handlers.is_empty() && o.error.is_none() {
            println!("no handler of `{}` matches this input (tool events match its `tool_name`: give one with --input FILE)", o.event);
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

    pub fn drained(&self, d: &crate::dispatch::spool::Drained) -> ExitCode {
        let failed = d.error.is_some() || d.left > 0;
        if self.format == Format::Json {
            self.json(d);
        } else if d.busy {
            self.status(&format!("{} is being drained by another process; it takes what is queued", d.plugin));
        } else {
            self.status(&format!(
                "{}: {} of {} queued events consumed{}{}{}",
                d.plugin,
                d.consumed,
                d.records,
                if d.torn > 0 { format!(", {} torn lines skipped", d.torn) } else { String::new() },
                if d.set_aside > 0 { format!(", {} set aside in failed.jsonl", d.set_aside) } else { String::new() },
                if d.left > 0 { format!(", {} left in the spool", d.left) } else { String::new() },
            ));
            if let Some(e) = &d.error {
                eprintln!("error: {e}");
            }
        }
        if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
    }

    pub fn config_rows(&self, rows: &[ConfigRow]) {
        if self.format == Format::Json {
            return self.json(rows);
        }
        for r in rows {
            let value = r.value.as_ref().map_or_else(|| "(unset)".to_string(), |v| v.to_string());
            let origin = match &r.origin {
                Some(Origin::Default) | None => "default".to_string(),
                Some(Origin::Manifest(path)) | Some(Origin::User(path)) => path.display().to_string(),
            };
            println!("{}.{} = {value}  ({}, from {origin})", r.plugin, r.key, r.kind);
        }
    }

    pub fn deactivated(&self, c: &crate::claude::Changes) {
        self.claude_changes(c);
        self.status("deactivated: Claude Code's files hold nothing of paii's (`paii sync` or `paii switch N` brings it back)");
        self.json(c);
    }

    pub fn registry_added(&self, added: &ListedRegistry) {
        self.status(&format!("added registry `{}` ({}) at priority {}", added.name, added.source, added.priority));
        self.json(added);
    }

    pub fn registry_removed(&self, name: &str) {
        self.status(&format!("removed registry `{name}`"));
        self.json(&serde_json::json!({ "removed": name }));
    }

    pub fn registries_updated(&self, updated: &[UpdatedRegistry]) {
        if self.format == Format::Json {
            return self.json(updated);
        }
        for u in updated {
            let at = u.commit.as_deref().map(|c| format!(" at {}", &c[..c.len().min(12)])).unwrap_or_default();
            self.status(&format!("{}: {} versions from {}{at} ({})", u.name, u.versions, u.source, u.hash));
        }
    }

    /// `paii registry validate`: exit 1 when the registry is invalid.
    pub fn validation(&self, report: &ValidationReport, format: ValidateFormat) -> ExitCode {
        let text = match format {
            ValidateFormat::Text => report.render_text(),
            ValidateFormat::Github => report.render_github(),
            ValidateFormat::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        };
        print!("{text}");
        if report.valid { ExitCode::SUCCESS } else { ExitCode::FAILURE }
    }
}

/// Left-aligned columns, two spaces apart.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}
