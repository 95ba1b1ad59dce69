#!/bin/sh
# The plugin's test: its SessionStart hook answers with context for Claude.
set -eu
cd "$(dirname "$0")/.."
out=$(printf '{"hook_event_name":"SessionStart","source":"startup"}' | sh hook.sh hook session-start)
case "$out" in
*'"additionalContext":"The {{name}} skill'*) echo "ok: session-start adds context" ;;
*) echo "unexpected output: $out" >&2; exit 1 ;;
esac
grep -q '^name: {{name}}$' SKILL.md || { echo "SKILL.md needs \`name: {{name}}\` in its frontmatter" >&2; exit 1; }
grep -q '^description: ' SKILL.md || { echo "SKILL.md needs a description" >&2; exit 1; }
echo "ok: SKILL.md has a name and a description"
