"""{{name}}: blocks the Bash commands its config names."""

from . import paii_plugin as paii


def judge(command: str, config: dict):
    """The first `blocked` string `command` contains, or None."""
    for blocked in config.get("blocked") or []:
        if isinstance(blocked, str) and blocked in command:
            return blocked
    return None


def pre_tool_use(event):
    command = event.tool_input.get("command") or ""
    hit = judge(command, paii.config())
    if hit is not None:
        return paii.deny(f"`{command}` contains `{hit}`")
    return paii.allow()


def main():
    return paii.main({"pre-tool-use": pre_tool_use}, {})
