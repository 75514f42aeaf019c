"""``python -m simulate``: see :mod:`simulate.cli`."""

import sys

from .cli import main

sys.exit(main())
