"""``python -m pagerduty action <name> [args...]``."""
import sys

from pagerduty import main

sys.exit(main())
