"""``python -m github action <name> [args...]``."""
import sys

from github import main

sys.exit(main())
