"""``python -m simulate``: see :mod:`simulate.cli`."""

import sys

from .cli import main

if __name__ == "__main__":  # not when dask's spawned workers import this module
    sys.exit(main())
