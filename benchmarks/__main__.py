"""``make bench``: the intent parser's speed on the intent suite, and its worst case on the red team (see ``benchmarks/parser.py``)."""

from .parser import main

raise SystemExit(main())
