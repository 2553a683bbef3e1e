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
# The runtime control socket (gunicorn 24+) defaults to one path per user, which two servers on
# one machine (the app and a test server) would fight over; nothing here uses it.
control_socket_disable = True
