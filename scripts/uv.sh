# Sourced by demo.sh and test.sh: puts uv on PATH, installing it from PyPI
# into target/test-tools when it is not there (the Python plugins build with
# it). Needs $root and say().
if ! command -v uv >/dev/null; then
    tools="$root/target/test-tools"
    if [ ! -x "$tools/bin/uv" ]; then
        say "installing uv from PyPI into $tools (the Python plugins build with it)"
        python3 -m venv "$tools"
        "$tools/bin/python" -m pip install --quiet --disable-pip-version-check uv
    fi
    export PATH="$tools/bin:$PATH"
fi
