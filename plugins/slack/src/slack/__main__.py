"""``python -m slack action <name> [args...]``."""
import sys

from slack import main

sys.exit(main())
