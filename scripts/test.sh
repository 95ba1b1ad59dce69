#!/usr/bin/env bash
# Every test of paii, from a fresh machine. First it provides what the suite
# runs for real, saying what it installs and why:
#
#   git, python3        test repositories (git daemon, git http-backend
#                       behind python3's CGI server), test servers
#   openssh-server      sshd on 127.0.0.1, for git over ssh
#   openssh-client      ssh-keygen and ssh
#   openssl             a throwaway CA for HTTPS
#   uv                  building Python plugins (from PyPI, into
#                       target/test-tools when it is not on PATH)
#   docker-registry     Distribution's OCI registry on 127.0.0.1, for the
#                       binary cache tests
#   npm                 installing the real Claude Code client
#   Claude Code         the pinned client (tests/claude-code/package.json
#                       and package-lock.json), with `npm ci` into
#                       target/claude-code; the acceptance suite
#                       (tests/claude_code.rs) runs it offline against a
#                       scripted API on 127.0.0.1
#
# System packages come from apt (as root, or through sudo). Then it runs the
# suite twice over: once as `cargo install` builds paii (no failpoints: the
# binary users get), and once with the `failpoints` feature for the crash
# tests that need it. `--no-fail-fast`: one failing test binary does not
# hide the others. Extra arguments go to both cargo runs (`-- NAME` filters).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf 'test.sh: %s\n' "$*" >&2; }

packages=()
command -v git >/dev/null || packages+=(git)
command -v python3 >/dev/null || packages+=(python3)
[ -x /usr/sbin/sshd ] || [ -x /usr/bin/sshd ] || packages+=(openssh-server)
command -v ssh-keygen >/dev/null && command -v ssh >/dev/null || packages+=(openssh-client)
command -v openssl >/dev/null || packages+=(openssl)
command -v npm >/dev/null || packages+=(npm)
command -v docker-registry >/dev/null || packages+=(docker-registry)
if [ ${#packages[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null; then
        sudo=(sudo)
    else
        say "the tests need ${packages[*]}, and installing them needs root (or sudo)"
        exit 1
    fi
    command -v apt-get >/dev/null || { say "the tests need ${packages[*]}; install them with your package manager"; exit 1; }
    say "installing ${packages[*]} with apt-get"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${packages[@]}" >/dev/null
fi

. "$root/scripts/uv.sh"

client="$root/target/claude-code"
pinned=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dependencies"]["@anthropic-ai/claude-code"])' "$root/tests/claude-code/package.json")
installed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$client/node_modules/@anthropic-ai/claude-code/package.json" 2>/dev/null || true)
if [ "$installed" != "$pinned" ] && [ -z "${PAII_CLAUDE_CODE:-}" ]; then
    say "installing Claude Code $pinned into $client (npm ci)"
    mkdir -p "$client"
    cp "$root/tests/claude-code/package.json" "$root/tests/claude-code/package-lock.json" "$client/"
    (cd "$client" && npm ci --no-audit --no-fund --loglevel=error)
fi

say "running the suite as installed (cargo test --locked --workspace)"
cargo test --locked --workspace --no-fail-fast "$@"
say "running the crash tests (cargo test --locked --features failpoints --test crash)"
cargo test --locked --features failpoints --test crash --no-fail-fast "$@"
say "running the suite again through the portable fallbacks macOS uses (cargo test --locked --workspace --features portable)"
cargo test --locked --workspace --features portable --no-fail-fast "$@"
for manifest in "$root"/plugins/*/Cargo.toml; do
    say "running the tests of ${manifest#"$root"/} (each first-party plugin is its own project)"
    cargo test --locked --manifest-path "$manifest" --no-fail-fast
done
say "running the tests of the Rust plugin SDK (sdk/rust)"
cargo test --locked --manifest-path "$root/sdk/rust/Cargo.toml" --no-fail-fast
say "running the tests of the Python plugin SDK (sdk/python)"
python3 -m unittest discover -s "$root/sdk/python" -q
for project in "$root"/plugins/*/pyproject.toml; do
    dir="$(dirname "$project")"
    if grep -q pytest "$project"; then
        say "running the tests of ${dir#"$root"/} (uv run --locked pytest)"
        (cd "$dir" && uv run --locked --quiet pytest -q)
    else
        say "running the tests of ${dir#"$root"/} (uv run --locked python -m unittest)"
        (cd "$dir" && uv run --locked --quiet python -m unittest discover -s tests -q)
    fi
done
