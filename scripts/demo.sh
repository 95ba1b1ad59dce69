#!/usr/bin/env bash
# The README's demo, in a throwaway PAII_HOME and CLAUDE_CONFIG_DIR (nothing
# outside a temporary directory is touched):
#
# 1. the example team config (fixtures/demo/paii.toml: paii's security,
#    history, hooks, incident and pagerduty plugins from the core registry
#    plugins/registry.toml) is synced for real: locked, fetched into the
#    store, built (cargo, uv), assembled into generation 1 and shown to
#    Claude Code (settings.json hook entries, skill links, MCP servers);
# 2. a plugin is installed from a git repository: generation 2;
# 3. the generations are listed and diffed, and a rollback returns to 1;
# 4. Claude Code's hook call is made by hand: a PreToolUse event for
#    `rm -rf ~` that the security plugin blocks (exit 2, with its reason),
#    one for `ls` that is allowed (exit 0), a Stop that drains history's
#    spool, the raw history lines history wrote for them and the audit
#    lines; the context the
#    hooks plugin gives Claude at session start; an incident declared
#    through the incident skill and recorded by history;
# 5. the registry-based team config is locked, byte for byte the committed
#    paii.lock.example.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf 'demo.sh: %s\n' "$*" >&2; }
. "$root/scripts/uv.sh"
cargo build --quiet --release --manifest-path "$root/Cargo.toml"
paii="$root/target/release/paii"

work="$(mktemp -d "${TMPDIR:-/tmp}/paii-demo.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
export PAII_HOME="$work/paii-home" CLAUDE_CONFIG_DIR="$work/claude"
cp -R "$root/fixtures" "$work/fixtures"
# The core registry and its plugins, where fixtures/demo/paii.toml expects
# them (paii copies only what git would track into the store).
ln -s "$root/plugins" "$work/plugins"
mkdir -p "$CLAUDE_CONFIG_DIR"
# The user's own settings, which paii must keep.
printf '{\n  "model": "opus",\n  "permissions": { "allow": ["Bash(ls:*)"] }\n}\n' > "$CLAUDE_CONFIG_DIR/settings.json"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

cd "$work/fixtures/demo"
step cat paii.toml
cat paii.toml
step paii sync
"$paii" sync
step cat '$CLAUDE_CONFIG_DIR/settings.json'
cat "$CLAUDE_CONFIG_DIR/settings.json"
step ls -l '$CLAUDE_CONFIG_DIR/skills'
ls -l "$CLAUDE_CONFIG_DIR/skills" | tail -n +2
step cat '$CLAUDE_CONFIG_DIR/.claude.json'
cat "$CLAUDE_CONFIG_DIR/.claude.json"

# A plugin from a git repository (here a local one made from the fixture).
git_repo="$work/git/notes"
mkdir -p "$git_repo" && cp -R "$root/fixtures/plugins/notes/." "$git_repo"
git -C "$git_repo" init -q -b main && git -C "$git_repo" add -A
git -C "$git_repo" -c user.name=demo -c user.email=demo@example.org commit -qm "notes 0.1.0"
step paii plugin install notes --git "file://$git_repo" --rev main
"$paii" plugin install notes --git "file://$git_repo" --rev main
step paii generations list
"$paii" generations list
step paii generations diff 1 2
"$paii" generations diff 1 2
step paii rollback
"$paii" rollback
step ls '$CLAUDE_CONFIG_DIR/skills'
ls "$CLAUDE_CONFIG_DIR/skills"
step paii sync
"$paii" sync
step paii status
"$paii" status

step paii hook list
"$paii" hook list
event() { printf '{"session_id":"demo","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"%s"}}' "$1"; }
step "echo '{... \"tool_name\":\"Bash\", \"command\":\"rm -rf ~\"}' | paii hook dispatch pre-tool-use"
set +e
event 'rm -rf ~' | "$paii" hook dispatch pre-tool-use
code=$?
set -e
echo "exit $code: blocked"
step "echo '{... \"tool_name\":\"Bash\", \"command\":\"ls\"}' | paii hook dispatch pre-tool-use"
event 'ls' | "$paii" hook dispatch pre-tool-use && echo "exit 0: allowed"
# history is an observer: dispatch queued both events in its spool (no
# process on the hot path); Stop hands the spool to it.
step "echo '{... \"hook_event_name\":\"Stop\"}' | paii hook dispatch stop"
printf '{"session_id":"demo","hook_event_name":"Stop","cwd":"%s"}' "$work" | "$paii" hook dispatch stop && echo "exit 0: history's spool is being drained"
for _ in $(seq 100); do
    [ "$(cat "$PAII_HOME"/history/raw/*/*.jsonl 2>/dev/null | wc -l)" -ge 3 ] && break
    sleep 0.1
done
step tail -n 3 '$PAII_HOME/history/raw/YYYY-MM/YYYY-MM-DD.jsonl'
tail -n 3 "$PAII_HOME"/history/raw/*/*.jsonl
step tail -n 2 '$PAII_HOME/logs/audit.jsonl'
tail -n 2 "$PAII_HOME/logs/audit.jsonl"
step "echo '{... \"hook_event_name\":\"SessionStart\"}' | paii hook dispatch session-start"
printf '{"session_id":"demo","hook_event_name":"SessionStart","source":"startup"}' | "$paii" hook dispatch session-start
echo
step paii run incident --action declare --severity SEV-2 --title "Checkout is down"
# The pager is wired (pagerduty provides IntegrationProvider) but this
# throwaway home has no PagerDuty key: the incident is recorded and the
# failed page is said, with exit 1.
"$paii" run incident --action declare --severity SEV-2 --title "Checkout is down" || echo "exit $?: recorded; paging needs PAGERDUTY_ROUTING_KEY in \$PAII_HOME/.env"
step paii history recent
"$paii" history recent

cd "$work/fixtures/team"
step cat ../team/paii.toml
cat paii.toml
step paii lock
"$paii" lock
step diff paii.lock paii.lock.example
diff paii.lock "$root/paii.lock.example" && echo "identical: the lock is byte-for-byte reproducible"
step paii registry validate ../registries/core.toml
"$paii" registry validate ../registries/core.toml
