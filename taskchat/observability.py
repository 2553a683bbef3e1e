"""Running it in production: proxies, request ids, logs and Prometheus metrics.

- ``ProxyFix`` trusts ``X-Forwarded-For``/``-Proto`` from as many proxies as
  ``TASKCHAT_TRUSTED_PROXIES`` says (0: none), on connections from the addresses of
  ``TASKCHAT_TRUSTED_PROXY_IPS`` only, so behind nginx the app sees the client's address and
  https, and a client that reaches the app port directly cannot claim another address.
- Every request has an id: ``X-Request-ID`` when the client (or nginx) sent a sane one, else a
  new one; it is echoed in the response and put on every log line of the request (gunicorn's
  access line reads it from the response header).
- Logs are text or JSON (``TASKCHAT_LOG_FORMAT``), the app's and gunicorn's alike.
- ``/metrics`` (prometheus-flask-exporter; gunicorn's multiprocess mode when
  ``PROMETHEUS_MULTIPROC_DIR`` is set, which gunicorn.conf.py does) answers only the addresses in
  ``TASKCHAT_METRICS_ALLOW`` or a request bearing ``TASKCHAT_METRICS_TOKEN``.

Turn metrics come from the agent's ``turn_stored`` signal, sent once a turn's reply is
committed, so every surface is counted the same way and a rolled-back turn not at all.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import os
import re
import sys
import uuid
from collections.abc import Mapping
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from flask import Flask, abort, g, has_app_context, request
from gunicorn.glogging import Logger as GunicornBaseLogger
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_flask_exporter import PrometheusMetrics
from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics
from pythonjsonlogger.json import JsonFormatter
from werkzeug.middleware.proxy_fix import ProxyFix

from .agent.events import Reply, turn_stored

REQUEST_ID_HEADER = "X-Request-ID"
# Taken from the client only when it looks like an id: no spaces, quotes or control characters
# that could forge or break a log line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

TURNS = Counter("taskchat_turns", "Chat turns stored, by intent.", ["intent"], registry=None)
TOOL_ERRORS = Counter(
    "taskchat_tool_errors", "Tool calls stored with status error, by tool.", ["tool"], registry=None
)
TURN_LATENCY = Histogram(
    "taskchat_turn_duration_seconds",
    "From the start of a turn to its reply being committed.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=None,
)
OPEN_STREAMS = Gauge(
    "taskchat_open_streams",
    "Event streams (text/event-stream responses) being sent right now.",
    multiprocess_mode="livesum",
    registry=None,
)
TURN_METRICS = (TURNS, TOOL_ERRORS, TURN_LATENCY, OPEN_STREAMS)


class TrustedProxyFix:
    """``ProxyFix`` for requests that come from a trusted proxy's address; the rest untouched.

    ``TASKCHAT_TRUSTED_PROXIES`` says how many ``X-Forwarded-*`` hops to believe, but not from
    whom: anyone who reaches the app port directly could send their own ``X-Forwarded-For``
    (open ``/metrics``, shed sign-in limits). Only a connection from one of
    ``TASKCHAT_TRUSTED_PROXY_IPS`` has its forwarded headers read.
    """

    def __init__(self, app, proxies: int, networks: list[IPv4Network | IPv6Network]):
        self.app = app
        self.fixed = ProxyFix(app, x_for=proxies, x_proto=proxies)
        self.networks = networks

    def trusted(self, address: str | None) -> bool:
        try:
            peer = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(peer in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


def register_proxy_fix(app: Flask) -> None:
    """Trust ``X-Forwarded-For``/``-Proto`` from ``TASKCHAT_TRUSTED_PROXIES`` proxies, and
    only on connections from ``TASKCHAT_TRUSTED_PROXY_IPS`` (default: loopback).

    Only For and Proto: nginx passes ``Host`` itself, and a forwarded header it does not set
    would come from the client unchecked.
    """
    proxies = app.config["TASKCHAT_TRUSTED_PROXIES"]
    if proxies > 0:
        # Parsed once, so a mistyped address stops the app at start.
        networks = [ipaddress.ip_network(net, strict=False) for net in app.config["TASKCHAT_TRUSTED_PROXY_IPS"]]
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, proxies, networks)  # type: ignore[method-assign]


def current_request_id() -> str:
    """This request's id, or ``-`` outside a request (a stream's worker thread carries its
    request's id on ``g`` of its own application context)."""
    if has_app_context():
        return g.get("request_id", "-")
    return "-"


def register_request_ids(app: Flask) -> None:
    """Give every request an id (the client's ``X-Request-ID`` if sane) and echo it."""

    @app.before_request
    def assign_request_id() -> None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def echo_request_id(response):
        response.headers[REQUEST_ID_HEADER] = current_request_id()
        return response


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record so formats can show it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


def log_formatter(log_format: str) -> logging.Formatter:
    """The app's log formatter: one text line, or one JSON object, per record."""
    if log_format == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(app: Flask) -> None:
    """The ``taskchat`` loggers write to stdout, with the request id, as text or JSON."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(log_formatter(app.config["TASKCHAT_LOG_FORMAT"]))
    logger = logging.getLogger("taskchat")
    # One handler, replaced when another app is created in the same process (tests do).
    for old in list(logger.handlers):
        if getattr(old, "taskchat_handler", False):
            logger.removeHandler(old)
    handler.taskchat_handler = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


class AccessJsonFormatter(JsonFormatter):
    """gunicorn's access line as JSON, from the atoms gunicorn passes as the record's args."""

    FIELDS = {
        "remote_addr": "h",  # the client's address once ProxyFix has rewritten REMOTE_ADDR
        "method": "m",
        "path": "U",
        "query": "q",
        "status": "s",
        "bytes": "B",
        "duration_ms": "M",
        "referer": "f",
        "user_agent": "a",
        "request_id": "{x-request-id}o",
    }

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_data, record, message_dict)
        atoms = record.args if isinstance(record.args, Mapping) else {}
        log_data.pop("message", None)
        log_data.update({name: atoms.get(atom, "-") for name, atom in self.FIELDS.items()})
        for name in ("status", "bytes", "duration_ms"):
            if str(log_data[name]).isdigit():
                log_data[name] = int(log_data[name])


class GunicornLogger(GunicornBaseLogger):
    """gunicorn's logger, writing JSON lines when ``TASKCHAT_LOG_FORMAT=json``."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if os.environ.get("TASKCHAT_LOG_FORMAT", "text").strip().lower() != "json":
            return
        for handler in self.access_log.handlers:
            handler.setFormatter(AccessJsonFormatter("%(asctime)s", rename_fields={"asctime": "time"}))
        for handler in self.error_log.handlers:
            handler.setFormatter(
                JsonFormatter(
                    "%(asctime)s %(levelname)s %(name)s %(message)s",
                    rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                )
            )


def metrics_allowed(token: str | None, networks: list[IPv4Network | IPv6Network]) -> bool:
    """A scrape is allowed from a configured address or network, or with the metrics token."""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


def register_metrics(app: Flask) -> None:
    """``/metrics``: requests by route and status, turns, tool errors, turn latency, open streams."""
    token = app.config["TASKCHAT_METRICS_TOKEN"]
    # Parsed once, so a mistyped TASKCHAT_METRICS_ALLOW stops the app at start.
    networks = [ipaddress.ip_network(net, strict=False) for net in app.config["TASKCHAT_METRICS_ALLOW"]]

    def guard(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not metrics_allowed(token, networks):
                abort(404)  # not even admitting it is there
            return view(*args, **kwargs)

        return guarded

    from .delivery import METRICS as DELIVERY_METRICS

    registry = CollectorRegistry()
    for metric in TURN_METRICS + DELIVERY_METRICS:
        registry.register(metric)
    options: dict[str, Any] = {
        "group_by": "url_rule",  # /c/<conversation_id>, not one series per conversation
        "registry": registry,
        "metrics_decorator": guard,
        "excluded_paths": ["^/static/"],
    }
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        GunicornInternalPrometheusMetrics(app, **options)
    else:
        PrometheusMetrics(app, path="/metrics", **options)

    @app.after_request
    def count_open_stream(response):
        if response.is_streamed and response.mimetype == "text/event-stream":
            OPEN_STREAMS.inc()
            response.call_on_close(OPEN_STREAMS.dec)
        return response

    turn_stored.connect(_count_turn)


def _count_turn(reply: Reply) -> None:
    """A stored turn: its intent, how long it took, and the tools that failed."""
    TURNS.labels(intent=reply.intent).inc()
    TURN_LATENCY.observe(reply.execution_time_ms / 1000)
    for call in reply.tool_calls:
        if call.status == "error":
            TOOL_ERRORS.labels(tool=call.name).inc()
