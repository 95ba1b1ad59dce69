"""history: paii's MemoryProvider.

``history hook <event>`` (every Claude Code event, as an observer) appends
the event to the raw log and, at Stop and SessionEnd, rewrites the session's
summary and files learnings, incidents and decisions from its transcript.
``history action query|recent|categories|record|context`` reads and
writes the history for people (``paii history ...``) and other plugins
(``paii run history --action record``; ``context`` for a session's start).

This module is what every hook imports: it stays small, and the work is
imported only by the path that needs it.
"""

from . import paii_plugin as paii

__version__ = "1.0.0"

# Every event paii knows (crates/paii-dispatch/src/event.rs), in its order,
# kebab-case -> Claude Code's name; plugin.toml's [hooks] subscribes to all
# of them (tests/test_manifest.py keeps the three in step).
EVENTS = {
    "pre-tool-use": "PreToolUse",
    "post-tool-use": "PostToolUse",
    "post-tool-use-failure": "PostToolUseFailure",
    "permission-request": "PermissionRequest",
    "permission-denied": "PermissionDenied",
    "post-tool-batch": "PostToolBatch",
    "notification": "Notification",
    "user-prompt-submit": "UserPromptSubmit",
    "user-prompt-expansion": "UserPromptExpansion",
    "stop": "Stop",
    "stop-failure": "StopFailure",
    "subagent-start": "SubagentStart",
    "subagent-stop": "SubagentStop",
    "pre-compact": "PreCompact",
    "post-compact": "PostCompact",
    "pre-model-switch": "PreModelSwitch",
    "post-model-switch": "PostModelSwitch",
    "pre-skill-shell-command": "PreSkillShellCommand",
    "elicitation": "Elicitation",
    "elicitation-result": "ElicitationResult",
    "teammate-idle": "TeammateIdle",
    "task-created": "TaskCreated",
    "task-completed": "TaskCompleted",
    "setup": "Setup",
    "instructions-loaded": "InstructionsLoaded",
    "cwd-changed": "CwdChanged",
    "file-changed": "FileChanged",
    "config-change": "ConfigChange",
    "worktree-create": "WorktreeCreate",
    "worktree-remove": "WorktreeRemove",
    "session-start": "SessionStart",
    "session-end": "SessionEnd",
    "message-display": "MessageDisplay",
    "directory-added": "DirectoryAdded",
}

#: Events whose transcript is summarised and filed.
SUMMARISED = ("Stop", "SessionEnd")


def _observer(name: str):
    def handle(event):
        from .hooks import observe

        return observe(event, name)

    handle.__name__ = "observe_" + name
    return handle


def _action(name: str):
    def run(args):
        from . import actions

        return getattr(actions, name)(args)

    run.__name__ = name
    return run


HOOKS = {kebab: _observer(pascal) for kebab, pascal in EVENTS.items()}
ACTIONS = {name: _action(name) for name in ("query", "recent", "categories", "record", "context")}


def main(argv=None) -> int:
    return paii.main(HOOKS, ACTIONS, argv)
