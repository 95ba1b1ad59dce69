//! Crash safety: paii killed (or given a full disk) at every step of sync,
//! switch, rollback and gc, through failpoints. These need the `failpoints`
//! feature, which only the test command turns on (`scripts/test.sh`).

mod common;

use std::fs;

use common::Sandbox;
use common::claude::*;
use serde_json::Value;

#[test]
fn a_crash_at_any_step_of_sync_switch_and_rollback_leaves_a_consistent_state_that_the_next_sync_completes() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    full_plugin(&sb, "beta", "");
    sb.write("claude/settings.json", USER_SETTINGS);
    team(&sb, &["alpha"]);
    sync(&sb).ok();
    let points = [
        "generation-write-table",
        "generation-rename",
        "sync-before-lock",
        "sync-before-switch",
        "sync-before-claude",
        "claude-write-settings",
    ];
    for (i, point) in points.iter().enumerate() {
        // Alternate between adding and removing beta so every sync has work.
        let with_beta = i % 2 == 0;
        team(&sb, if with_beta { &["alpha", "beta"] } else { &["alpha"] });
        let out =
            common::run(sb.command(&sb.path("team"), &["sync"]).env("FAILPOINTS", format!("{point}=return(abort)")).output().unwrap());
        assert!(out.code != 0 && out.code != 1, "{point}: expected a crash, got {}\n{}", out.code, out.stderr);
        assert_consistent(&sb);
        let before = sb.read("claude/settings.json");
        assert!(serde_json::from_str::<Value>(&before).is_ok(), "{point}: settings.json is the old or the new version");
        sync(&sb).ok();
        assert_consistent(&sb);
        assert_eq!(sb.path("claude/skills/beta").exists(), with_beta, "{point}: the next sync finished the job");
        sb.paii_in("team", &["status"]).ok();
    }
    for (args, point) in [(["rollback"].as_slice(), "switch-before-claude"), (["switch", "1"].as_slice(), "switch-before-claude")] {
        let out = common::run(sb.command(&sb.path("team"), args).env("FAILPOINTS", format!("{point}=return(abort)")).output().unwrap());
        assert!(out.code != 0 && out.code != 1, "{args:?}: {}", out.stderr);
        assert_consistent(&sb);
        // `current` moved; a plain sync brings Claude Code's files and `current` back in line with paii.lock.
        sync(&sb).ok();
        assert_consistent(&sb);
        sb.paii_in("team", &["status"]).ok();
    }
}

#[test]
fn a_full_disk_while_assembling_keeps_the_previous_generation_current() {
    let sb = synced(&["alpha"]);
    full_plugin(&sb, "beta", "");
    team(&sb, &["alpha", "beta"]);
    let lock_before = sb.read("team/paii.lock");
    let out =
        common::run(sb.command(&sb.path("team"), &["sync"]).env("FAILPOINTS", "generation-write-table=return(enospc)").output().unwrap());
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("No space left on device"), "{}", out.stderr);
    assert_eq!(current(&sb).as_deref(), Some("generations/1"));
    assert_eq!(sb.read("team/paii.lock"), lock_before);
    assert!(!sb.path("claude/skills/beta").exists());
    assert_consistent(&sb);
    sync(&sb).ok();
    assert!(sb.path("claude/skills/beta").exists());
}

#[test]
fn a_crash_during_gc_leaves_no_half_deleted_generation_or_entry() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    full_plugin(&sb, "beta", "");
    for plugins in [&["alpha", "beta"][..], &["alpha"], &["beta"], &["alpha"]] {
        team(&sb, plugins);
        sync(&sb).ok();
    }
    fs::write(sb.path("plugins/alpha/SKILL.md"), "# alpha 2\n").unwrap();
    sync(&sb).ok();
    for _ in 0..3 {
        let out = common::run(
            sb.command(&sb.path("team"), &["gc", "--keep", "1"]).env("FAILPOINTS", "gc-step=1*return(abort)").output().unwrap(),
        );
        assert!(out.code != 0 && out.code != 1, "{}", out.stderr);
        assert_consistent(&sb);
        sb.paii_in("team", &["status"]).ok();
    }
    let out = sb.paii_in("team", &["gc", "--keep", "1", "-o", "json"]).ok();
    assert_eq!(out.json()["dry_run"], false);
    let left: Vec<String> =
        fs::read_dir(sb.home().join("generations")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(left, ["5"]);
    let store: Vec<String> =
        fs::read_dir(sb.home().join("store")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(store.len(), 1, "only the current alpha's entry is left: {store:?}");
    assert!(sb.path("claude/skills/alpha/SKILL.md").is_file());
    let out = sync(&sb).ok();
    assert!(out.stderr.contains("nothing changed"), "{}", out.stderr);
}

#[test]
fn a_malformed_failpoint_value_is_reported_and_never_panics() {
    let sb = synced(&["alpha"]);
    for value in ["garbage", "=", "sync-before-switch=nonsense(", "\u{1}"] {
        let out = common::run(sb.command(&sb.path("team"), &["status"]).env("FAILPOINTS", value).output().unwrap());
        assert_eq!(out.code, 0, "FAILPOINTS={value:?}: {}", out.stderr);
        assert!(out.stderr.contains("failpoints are ignored"), "{}", out.stderr);
    }
}
