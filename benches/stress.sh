#!/usr/bin/env bash
# Stress test (issue 7): 8 concurrent `paii sync` processes x 20 rounds on one
# PAII_HOME, the plugin set changing every round, and in every round one of
# the 8 killed with SIGKILL at a random moment. After each round the state
# must be whole: every surviving sync exited 0, `paii doctor` finds nothing,
# settings.json parses, `current` is complete, and a plain sync is a no-op.
#
# Run: benches/stress.sh [ROUNDS] [PROCS]. Prints the count of corrupted
# states (the goal is 0) and exits 1 if there was any.
set -uo pipefail

rounds="${1:-20}"
procs="${2:-8}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cargo build --quiet --release --manifest-path "$root/Cargo.toml" || exit 1
paii="$root/target/release/paii"

work="$(mktemp -d "${TMPDIR:-/tmp}/paii-stress.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export PAII_HOME="$work/home" CLAUDE_CONFIG_DIR="$work/claude"
mkdir -p "$work/team" "$work/claude"
echo '{"model": "opus", "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "mine"}]}]}}' > "$work/claude/settings.json"

for i in $(seq 0 9); do
    d="$work/plugins/p$i"
    mkdir -p "$d/agents"
    printf '[plugin]\nname = "p%s"\nversion = "1.0.0"\n\n[hooks]\npre_tool_use = { matcher = "Bash" }\nstop = true\n\n[run]\ncommand = ["run.sh"]\n' "$i" > "$d/plugin.toml"
    printf '#!/bin/sh\nexit 0\n' > "$d/run.sh"; chmod +x "$d/run.sh"
    printf '# p%s\n' "$i" > "$d/SKILL.md"
    printf '# agent\n' > "$d/agents/a$i.md"
    printf '{"mcpServers": {"srv%s": {"command": "x"}}}\n' "$i" > "$d/.mcp.json"
done

corrupt=0
fail() { echo "round $1: $2"; corrupt=$((corrupt + 1)); }
cd "$work/team"
for round in $(seq 1 "$rounds"); do
    {
        echo "[plugins]"
        for i in $(seq 0 9); do
            if (( (RANDOM % 2) == 0 )); then echo "p$i = { path = \"../plugins/p$i\" }"; fi
        done
    } > paii.toml
    pids=()
    for _ in $(seq 1 "$procs"); do
        "$paii" sync -q 2>>"$work/errors" &
        pids+=($!)
    done
    victim=${pids[$((RANDOM % procs))]}
    sleep "0.0$((RANDOM % 5))"
    kill -9 "$victim" 2>/dev/null
    for pid in "${pids[@]}"; do
        { wait "$pid"; } 2>/dev/null; rc=$?
        if [[ $pid != "$victim" && $rc != 0 ]]; then fail "$round" "a sync exited $rc"; fi
    done
    # The killed one may have left work half done: the next sync finishes it.
    "$paii" sync -q || fail "$round" "the sync after the kill failed"
    "$paii" doctor >"$work/doctor" 2>&1 || { fail "$round" "doctor found problems"; cat "$work/doctor"; }
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$CLAUDE_CONFIG_DIR/settings.json" || fail "$round" "settings.json does not parse"
    [[ -f "$PAII_HOME/current/dispatch.json" && -f "$PAII_HOME/current/generation.toml" ]] || fail "$round" "current is not a complete generation"
    "$paii" sync 2>&1 | grep -q "nothing changed" || fail "$round" "a second sync was not a no-op"
done
gens=$(ls "$PAII_HOME/generations" | grep -c '^[0-9]')
echo "stress: $procs concurrent syncs x $rounds rounds (one SIGKILLed per round), $gens generations: $corrupt corrupted states (goal 0)"
[[ $corrupt == 0 ]]
