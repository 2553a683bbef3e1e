"""``make bench``: the intent parser's speed on the intent suite (see ``benchmarks/parser.py``)."""

from .parser import main

raise SystemExit(main())
