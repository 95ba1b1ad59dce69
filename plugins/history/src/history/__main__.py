"""``python -m history``: the same as the ``history`` console script."""

import sys

from . import main

sys.exit(main())
