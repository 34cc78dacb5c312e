"""`python -m simwood_async._coverage [--check]`: write or check `docs/coverage.md`."""

from __future__ import annotations

import sys

from simwood_async._coverage import main

sys.exit(main())
