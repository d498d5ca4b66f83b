"""``python -m txkv`` is the ``txkv`` command."""

import sys

from txkv.cli import main

sys.exit(main())
