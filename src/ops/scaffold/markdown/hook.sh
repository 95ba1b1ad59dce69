#!/bin/sh
# `sh hook.sh hook session-start`: tells Claude the skill is there. The event
# arrives on stdin; this hook does not need it.
cat >/dev/null
case "$1 $2" in
"hook session-start")
    printf '%s\n' '{"hookSpecificOutput":{"hookEventName":"SessionStart","additionalContext":"The {{name}} skill and the /{{name}} command are installed."}}'
    ;;
esac
exit 0
