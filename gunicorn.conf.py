"""gunicorn settings. gthread keeps serving while SSE streams are open: each stream holds a
thread, not a whole worker, and the rule-based agent is CPU-light, so threads are enough."""

import os

bind = os.environ.get("TASKCHAT_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("TASKCHAT_THREADS", "16"))
timeout = 120
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
