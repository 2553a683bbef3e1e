"""gunicorn settings: ``gthread`` workers with many threads.

A reply stream paced at 50 ms a word spends nearly all its time asleep, holding one thread
and nothing else (the turn has committed and its database connection is back in the pool
before the pauses; see ``taskchat.sse``). So a worker runs hundreds of them side by side,
and a plain request still finds a free thread. Threads cost little while they sleep (a
stack reservation, a few tens of KB resident); the limit is the GIL: the CPU work of all
threads of a worker runs one at a time, so CPU-bound throughput comes from ``workers``
(one per core), not from threads. See README, "Production".
"""

import glob
import os
import shutil
import tempfile

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
# Text or JSON lines (TASKCHAT_LOG_FORMAT); both carry the request id from X-Request-ID.
logger_class = "taskchat.observability.GunicornLogger"
access_log_format = (
    '%(h)s - %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms rid=%({x-request-id}o)s'
)
# The runtime control socket (gunicorn 24+) defaults to one path per user, which two servers on
# one machine (the app and a test server) would fight over; nothing here uses it.
control_socket_disable = True

# Prometheus multiprocess mode: each worker writes its metrics to files in this directory and
# /metrics adds them up, so a scrape sees the whole server, not the one worker that answered.
# It must be set before any worker imports prometheus_client, and start empty.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="taskchat-metrics-")


def on_starting(server):
    """Empty the metrics directory: files left by an earlier run would be counted again."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in glob.glob(os.path.join(directory, "*.db")):
        os.remove(name)


def child_exit(server, worker):
    """A worker that is gone no longer counts in the live gauges (open streams)."""
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)


def on_exit(server):
    """Remove the metrics directory this file made (one given in the environment stays)."""
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
