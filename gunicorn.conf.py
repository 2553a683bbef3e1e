"""gunicorn settings: ``gevent`` workers, one per core.

A reply stream paced at 50 ms a word spends nearly all its time asleep. Under gevent a
sleeping stream is a greenlet waiting on a timer — no thread, no GIL hand-over — so a worker
holds thousands of them, and a request that arrives meanwhile waits at most for the one turn
that is running (a rule-based turn is a few milliseconds of CPU; ``TASKCHAT_TURN_SLOTS``
orders the rest). psycopg 3 (3.1.14+) waits cooperatively under gevent by itself; SQLite
calls are short and run in place, and a writer that finds another worker process writing lets
its worker's other greenlets run for a moment before it waits (``taskchat.transactions``).

``TASKCHAT_WORKER_CLASS=gthread`` (with ``TASKCHAT_THREADS``) is the choice without
monkey-patching; it measured slower under many open streams (README, "Production").
"""

import os

if os.environ.get("TASKCHAT_WORKER_CLASS", "gevent") == "gevent":
    # Before anything else: gunicorn imports the app's package in the master (for
    # ``logger_class``), and the locks, queues and pools it creates there must be gevent's.
    from gevent import monkey

    monkey.patch_all()

import glob  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

bind = os.environ.get("TASKCHAT_BIND", "127.0.0.1:8000")
worker_class = os.environ.get("TASKCHAT_WORKER_CLASS", "gevent")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gthread only: threads per worker.
threads = int(os.environ.get("TASKCHAT_THREADS", "512")) if worker_class == "gthread" else 1
# Open connections per worker (gevent: greenlets; gthread: idle keep-alive ones included).
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


# Reminder delivery: unless TASKCHAT_JOBS=off (several app servers with their own worker
# units, deploy/systemd/taskchat-worker.service), the server starts one consumer of the job
# queue (taskchat.jobs: Huey) beside its workers, so `make run` delivers reminders with no
# other service. A process of its own, not a thread in the master: the master stays small,
# and the consumer's metrics go to the same multiprocess directory /metrics reads. With
# TASKCHAT_JOBS=off the workers still put runs on the queue (a reminder due before the next
# sweep); the worker units consume them.
_consumer = None


def when_ready(server):
    global _consumer
    if os.environ.get("TASKCHAT_JOBS", "embedded").strip().lower() in {"off", "0", "false", "no"}:
        return
    import subprocess

    from taskchat.jobs import consumer_command, die_with_parent

    command = consumer_command(int(os.environ.get("TASKCHAT_JOB_WORKERS", "1")))
    _consumer = subprocess.Popen(command, preexec_fn=die_with_parent)  # noqa: PLW1509 - the master has no other threads yet
    server.log.info("job consumer started (pid %s)", _consumer.pid)


def _stop_consumer(server):
    global _consumer
    if _consumer is not None and _consumer.poll() is None:
        _consumer.terminate()
        try:
            _consumer.wait(timeout=15)
        except Exception:  # noqa: BLE001 - a consumer that does not stop is killed
            _consumer.kill()
    _consumer = None


def post_worker_init(worker):
    """Load what the agent loads lazily, then freeze the heap the worker starts with.

    ``gc.freeze()`` moves every object alive now (the app, SQLAlchemy's mappers, the lemma
    dictionaries, dateparser's data: ~110 000 containers) out of the collector's reach. A full
    collection otherwise walks them all — 60 ms on a quiet core — and stops every request
    of the worker meanwhile: that was the long tail of the turn latencies.
    """
    import gc

    from taskchat.agent.parser import warm_up

    warm_up()
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    """A worker that is gone no longer counts in the live gauges (open streams)."""
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)


def on_exit(server):
    """Stop the job consumer; remove the metrics directory this file made (one given in the
    environment stays)."""
    _stop_consumer(server)
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
