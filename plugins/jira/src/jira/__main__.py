"""``python -m jira action <name> [args...]``."""
import sys

from jira import main

sys.exit(main())
