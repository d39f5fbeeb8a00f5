"""``python -m streams.cli``: what the embedded stack runs for its worker and review service."""

import sys

from streams.cli import main

if __name__ == "__main__":
    sys.exit(main())
