"""Benchmarks, each runnable on its own: ``python -m benchmarks.<name>``; ``python -m benchmarks`` runs the parser's."""
