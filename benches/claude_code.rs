//! One real Claude Code turn with hooks (issue 13): `claude -p` makes one
//! Bash call that five plugins handle on PreToolUse, through paii (one
//! `paii hook dispatch` entry in settings.json, which runs the five
//! handlers at once), vs the same five handler commands written directly as
//! five settings.json hook entries (goal <= 1.0x). Median of interleaved
//! runs, each against the scripted Messages API on 127.0.0.1.
//!
//! Needs the pinned Claude Code client (installed into target/claude-code
//! by scripts/test.sh, or by this bench when npm is there).
//! Run: `cargo bench --bench claude_code`. Prints medians and the ratio.

use std::os::unix::fs::PermissionsExt;

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/mod.rs"]
mod support;

use common::Sandbox;
use common::anthropic::{MessagesApi, Script};
use support::{median, ms};

const RUNS: usize = 15;
const HANDLER: &str = "#!/bin/sh\ncat > /dev/null\nexit 0\n";

fn main() {
    // Through paii: five plugins, each a PreToolUse handler.
    let via = Sandbox::new();
    let mut manifest = String::from("[plugins]\n");
    for i in 0..5 {
        via.write(
            &format!("plugins/h{i}/plugin.toml"),
            &format!("[plugin]\nname = \"h{i}\"\nversion = \"1.0.0\"\n\n[hooks]\npre_tool_use = {{ matcher = \"Bash\" }}\n\n[run]\ncommand = [\"h.sh\"]\n"),
        );
        let h = via.write(&format!("plugins/h{i}/h.sh"), HANDLER);
        std::fs::set_permissions(h, std::fs::Permissions::from_mode(0o755)).unwrap();
        manifest.push_str(&format!("h{i} = {{ path = \"../plugins/h{i}\" }}\n"));
    }
    via.write("team/paii.toml", &manifest);
    via.paii_in("team", &["sync", "-q"]).ok();

    // Directly: the same five commands as five settings.json entries.
    let direct = Sandbox::new();
    let mut hooks = Vec::new();
    for i in 0..5 {
        let h = direct.write(&format!("handlers/h{i}.sh"), HANDLER);
        std::fs::set_permissions(&h, std::fs::Permissions::from_mode(0o755)).unwrap();
        hooks.push(serde_json::json!({"type": "command", "command": format!("{} hook pre-tool-use", h.display())}));
    }
    let settings = serde_json::json!({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": hooks}]}});
    direct.write("claude/settings.json", &serde_json::to_string_pretty(&settings).unwrap());

    let api = MessagesApi::start(Script::Bash("ls".into()));
    let (mut t_via, mut t_direct) = (Vec::new(), Vec::new());
    for sb in [&via, &direct] {
        std::fs::create_dir_all(sb.path("work")).unwrap();
    }
    // One warm-up each: the client's first start reads its 400 MB binary.
    for round in 0..=RUNS {
        for (sb, times) in [(&via, &mut t_via), (&direct, &mut t_direct)] {
            let turn = common::claude_code::run(sb, &api, &sb.path("work"), "list the files", "Bash");
            assert_eq!(turn.code, 0, "{}", turn.stderr);
            assert_eq!(turn.tool_results().len(), 1, "one Bash call ran");
            if round > 0 {
                times.push(turn.elapsed);
            }
        }
    }
    let audit = std::fs::read_to_string(via.home().join("logs/audit.jsonl")).unwrap();
    assert!(audit.lines().all(|l| l.contains("\"decision\":\"allow\"")), "paii ran the five handlers");
    let (a, b) = (median(t_via), median(t_direct));
    println!(
        "claude -p, one Bash call, five PreToolUse handlers: through paii {:.0} ms vs five settings.json entries {:.0} ms = {:.2}x (goal <= 1.0x)",
        ms(a),
        ms(b),
        a.as_secs_f64() / b.as_secs_f64()
    );
}
