"""``make bench``: the intent parser's speed on the intent suite, and its worst case on the
red team (see ``benchmarks/parser.py``), then a worker's memory after 10 000 turns
(``benchmarks/worker_memory.py``, a process of its own so the parser benchmark's allocations
do not count)."""

import subprocess
import sys

from .parser import main

status = main()
status |= subprocess.call([sys.executable, "-m", "benchmarks.worker_memory"])
raise SystemExit(status)
