//! Claude Code hook events and their three spellings.
//!
//! Claude Code names events in PascalCase (`PreToolUse`) in settings.json and
//! hook input; plugin.toml uses snake_case (`pre_tool_use`) and the command
//! line kebab-case (`pre-tool-use`). The list mirrors the `hooks` properties of
//! the vendored SchemaStore settings schema; a test of the main crate keeps
//! the two in step.

use std::fmt;

macro_rules! events {
    ($($variant:ident => $pascal:literal, $snake:literal, $kebab:literal, $tool:literal;)*) => {
        /// One Claude Code hook event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum HookEvent {
            $($variant,)*
        }

        impl HookEvent {
            pub const ALL: &'static [HookEvent] = &[$(HookEvent::$variant,)*];

            /// The name Claude Code uses in settings.json and hook input.
            pub fn pascal(self) -> &'static str {
                match self { $(HookEvent::$variant => $pascal,)* }
            }

            /// The name used as a key of plugin.toml's `[hooks]`.
            pub fn snake(self) -> &'static str {
                match self { $(HookEvent::$variant => $snake,)* }
            }

            /// The name used on the command line (`paii hook dispatch pre-tool-use`).
            pub fn kebab(self) -> &'static str {
                match self { $(HookEvent::$variant => $kebab,)* }
            }

            /// Whether Claude Code matches this event's hooks against a tool name.
            pub fn is_tool_event(self) -> bool {
                match self { $(HookEvent::$variant => $tool,)* }
            }
        }
    };
}

events! {
    PreToolUse => "PreToolUse", "pre_tool_use", "pre-tool-use", true;
    PostToolUse => "PostToolUse", "post_tool_use", "post-tool-use", true;
    PostToolUseFailure => "PostToolUseFailure", "post_tool_use_failure", "post-tool-use-failure", true;
    PermissionRequest => "PermissionRequest", "permission_request", "permission-request", true;
    PermissionDenied => "PermissionDenied", "permission_denied", "permission-denied", true;
    PostToolBatch => "PostToolBatch", "post_tool_batch", "post-tool-batch", false;
    Notification => "Notification", "notification", "notification", false;
    UserPromptSubmit => "UserPromptSubmit", "user_prompt_submit", "user-prompt-submit", false;
    UserPromptExpansion => "UserPromptExpansion", "user_prompt_expansion", "user-prompt-expansion", false;
    Stop => "Stop", "stop", "stop", false;
    StopFailure => "StopFailure", "stop_failure", "stop-failure", false;
    SubagentStart => "SubagentStart", "subagent_start", "subagent-start", false;
    SubagentStop => "SubagentStop", "subagent_stop", "subagent-stop", false;
    PreCompact => "PreCompact", "pre_compact", "pre-compact", false;
    PostCompact => "PostCompact", "post_compact", "post-compact", false;
    PreModelSwitch => "PreModelSwitch", "pre_model_switch", "pre-model-switch", false;
    PostModelSwitch => "PostModelSwitch", "post_model_switch", "post-model-switch", false;
    // Matched on `tool_name` (Bash or PowerShell), as PreToolUse is.
    PreSkillShellCommand => "PreSkillShellCommand", "pre_skill_shell_command", "pre-skill-shell-command", true;
    Elicitation => "Elicitation", "elicitation", "elicitation", false;
    ElicitationResult => "ElicitationResult", "elicitation_result", "elicitation-result", false;
    TeammateIdle => "TeammateIdle", "teammate_idle", "teammate-idle", false;
    TaskCreated => "TaskCreated", "task_created", "task-created", false;
    TaskCompleted => "TaskCompleted", "task_completed", "task-completed", false;
    Setup => "Setup", "setup", "setup", false;
    InstructionsLoaded => "InstructionsLoaded", "instructions_loaded", "instructions-loaded", false;
    CwdChanged => "CwdChanged", "cwd_changed", "cwd-changed", false;
    FileChanged => "FileChanged", "file_changed", "file-changed", false;
    ConfigChange => "ConfigChange", "config_change", "config-change", false;
    WorktreeCreate => "WorktreeCreate", "worktree_create", "worktree-create", false;
    WorktreeRemove => "WorktreeRemove", "worktree_remove", "worktree-remove", false;
    SessionStart => "SessionStart", "session_start", "session-start", false;
    SessionEnd => "SessionEnd", "session_end", "session-end", false;
    MessageDisplay => "MessageDisplay", "message_display", "message-display", false;
    DirectoryAdded => "DirectoryAdded", "directory_added", "directory-added", false;
}

impl HookEvent {
    /// Accepts any of the three spellings.
    pub fn parse(name: &str) -> Option<HookEvent> {
        HookEvent::ALL.iter().copied().find(|e| e.snake() == name || e.kebab() == name || e.pascal() == name)
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.pascal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_parses_to_the_same_event() {
        for e in HookEvent::ALL {
            assert_eq!(HookEvent::parse(e.snake()), Some(*e));
            assert_eq!(HookEvent::parse(e.kebab()), Some(*e));
            assert_eq!(HookEvent::parse(e.pascal()), Some(*e));
            assert_eq!(e.kebab().replace('-', "_"), e.snake());
        }
    }
}
