"""``python -m incident action <name> [args...]``."""
import sys

from incident import main

sys.exit(main())
