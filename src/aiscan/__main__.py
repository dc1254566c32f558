"""``python -m aiscan``: the same command line as ``aiscan``."""

from __future__ import annotations

import sys

from aiscan.cli import main

if __name__ == "__main__":
    sys.exit(main())
