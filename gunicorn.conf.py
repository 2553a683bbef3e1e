"""gunicorn settings: ``gthread`` workers with many threads.

A reply stream paced at 50 ms a word spends nearly all its time asleep, holding one thread
and nothing else (the turn has committed and its database connection is back in the pool
before the pauses; see ``taskchat.sse``). So a worker runs hundreds of them side by side,
and a plain request still finds a free thread. Threads cost little while they sleep (a
stack reservation, a few tens of KB resident); the limit is the GIL: the CPU work of all
threads of a worker runs one at a time, so CPU-bound throughput comes from ``workers``
(one per core), not from threads. See README, "Production".
"""

import os

bind = os.environ.get("TASKCHAT_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("TASKCHAT_THREADS", "512"))
# Open connections per worker, idle keep-alive ones included; above the thread count so a
# busy worker still accepts (and queues) rather than refusing.
worker_connections = int(os.environ.get("TASKCHAT_WORKER_CONNECTIONS", "2000"))
timeout = 120
graceful_timeout = 20
keepalive = 5
accesslog = None if os.environ.get("TASKCHAT_ACCESS_LOG") == "0" else "-"
errorlog = "-"
# The runtime control socket (gunicorn 24+) defaults to one path per user, which two servers on
# one machine (the app and a test server) would fight over; nothing here uses it.
control_socket_disable = True
