#!/usr/bin/env bash
# The README's demo: the example team config, resolved and locked in a
# throwaway PAII_HOME and CLAUDE_CONFIG_DIR. Nothing outside a temporary
# directory is touched.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cargo build --quiet --release --manifest-path "$root/Cargo.toml"
paii="$root/target/release/paii"

work="$(mktemp -d "${TMPDIR:-/tmp}/paii-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export PAII_HOME="$work/paii-home" CLAUDE_CONFIG_DIR="$work/claude"
cp -R "$root/fixtures" "$work/fixtures"
cd "$work/fixtures/team"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step cat paii.toml
cat paii.toml
step paii registry list
"$paii" registry list
step paii lock
"$paii" lock
step paii plugin list
"$paii" plugin list
step paii plugin info incident
"$paii" plugin info incident
step paii lock --check
"$paii" lock --check
step diff paii.lock paii.lock.example
diff paii.lock "$root/paii.lock.example" && echo "identical: the lock is byte-for-byte reproducible"
step paii registry validate ../registries/core.toml
"$paii" registry validate ../registries/core.toml
