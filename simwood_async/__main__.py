"""`python -m simwood_async`: the `simwood` command line."""

from __future__ import annotations

from simwood_async._cli import main

if __name__ == "__main__":
    main()
