"""``python -m verifiers`` is the ``verify`` command."""

import sys

from verifiers.cli import main

if __name__ == "__main__":
    sys.exit(main())
