"""``python -m rnnkit``: see :mod:`rnnkit.cli`."""

import sys

from rnnkit.cli import main

sys.exit(main())
