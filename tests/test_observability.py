"""Operability: request ids, JSON logs, /metrics and who may read it, trusted proxies."""

from __future__ import annotations

import json
import re

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from taskchat import create_app
from tests.helpers.app import gunicorn_server


def scrape(client, **kwargs) -> dict[tuple[str, tuple], float]:
    """``/metrics`` as {(sample name, sorted labels): value}."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_request_id_is_made_taken_and_echoed(client):
    made = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["X-Request-ID"] != made

    taken = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert taken.headers["X-Request-ID"] == "lb-7f3a.42"
    # On errors too, and on /api/* JSON errors.
    assert client.get("/api/v1/nope", headers={"X-Request-ID": "e-1"}).headers["X-Request-ID"] == "e-1"


@pytest.mark.parametrize("forged", ["two words", "x" * 129, "id\"quote", "a\tb"])
def test_an_unusable_request_id_is_replaced(client, forged):
    echoed = client.get("/healthz", headers={"X-Request-ID": forged}).headers["X-Request-ID"]
    assert echoed != forged
    assert re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_app_log_lines_carry_the_request_id(app, client, caplog):
    @app.get("/test-logs")
    def log_something():
        app.logger.warning("inside the request")
        return "ok"

    client.get("/test-logs", headers={"X-Request-ID": "req-abc"})
    records = [r for r in caplog.records if r.getMessage() == "inside the request"]
    assert [r.request_id for r in records] == ["req-abc"]


def test_metrics_count_requests_by_route_and_status(client, auth):
    account = auth.register()
    before = scrape(client)
    for number in (1, 2, 3):
        client.get(f"/api/v1/tasks/{number}", headers=account.headers)  # 404: no such tasks
    client.get("/api/v1/tasks", headers=account.headers)
    after = scrape(client)
    count = "flask_http_request_duration_seconds_count"
    rule = "/api/v1/tasks/<int:number>"
    assert value(after, count, method="GET", status="404", url_rule=rule) - value(
        before, count, method="GET", status="404", url_rule=rule
    ) == 3
    assert value(after, count, method="GET", status="200", url_rule="/api/v1/tasks") - value(
        before, count, method="GET", status="200", url_rule="/api/v1/tasks"
    ) == 1


def test_metrics_count_turns_by_intent_tool_errors_and_latency(client, auth, chat):
    account = auth.register()
    before = scrape(client)
    chat(account, "add buy milk")
    chat(account, "add walk the dog")
    chat(account, "show my tasks")
    chat(account, "delete task 99")  # no task 99: the tool call is stored as an error
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("taskchat_turns_total", intent="CREATE") == 2
    assert delta("taskchat_turns_total", intent="LIST") == 1
    assert delta("taskchat_turns_total", intent="DELETE") == 1
    assert delta("taskchat_tool_errors_total", tool="delete_task") == 1
    assert delta("taskchat_tool_errors_total", tool="add_task") == 0
    assert delta("taskchat_turn_duration_seconds_count") == 4
    assert delta("taskchat_turn_duration_seconds_sum") > 0


def test_metrics_gauge_open_streams_and_count_streamed_turns(client, auth):
    account = auth.register()
    samples = scrape(client)
    before = value(samples, "taskchat_open_streams")
    greetings = value(samples, "taskchat_turns_total", intent="GREETING")
    response = client.post(
        "/api/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "hello"}], "stream": True},
        headers=account.headers,
        buffered=False,
    )
    assert response.mimetype == "text/event-stream"
    assert value(scrape(client), "taskchat_open_streams") == before + 1
    assert "[DONE]" in response.get_data(as_text=True)
    response.close()
    samples = scrape(client)
    assert value(samples, "taskchat_open_streams") == before
    assert value(samples, "taskchat_turns_total", intent="GREETING") == greetings + 1


def test_metrics_are_only_for_allowed_addresses_or_the_token(database_url, _schema):
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TASKCHAT_METRICS_ALLOW": ["127.0.0.1", "10.0.0.0/8"],
            "TASKCHAT_METRICS_TOKEN": "s3cret-scrape-token",
        }
    )
    client = app.test_client()
    outside = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", **outside).status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}, **outside).status_code == 404
    allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"}, **outside)
    assert allowed.status_code == 200
    assert "taskchat_turns_total" in allowed.get_data(as_text=True)


def proxied_app(database_url: str, proxies: int):
    return create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TASKCHAT_TRUSTED_PROXIES": proxies,
        }
    )


FROM_NGINX = {
    "environ_base": {"REMOTE_ADDR": "127.0.0.1"},
    "headers": {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
}


def sign_up_from_https_page(client, email: str):
    """The sign-up form posted through nginx from https://localhost (same-origin only if the
    app believes the forwarded ``https``)."""
    return client.post(
        "/register",
        data={"email": email, "password": "correct-horse-1"},
        base_url="http://localhost",
        headers={**FROM_NGINX["headers"], "Origin": "https://localhost"},
        environ_base=FROM_NGINX["environ_base"],
    )


def test_trusted_proxy_headers_give_the_client_address_and_https(database_url, _schema):
    trusting = proxied_app(database_url, 1).test_client()
    # The client's address, not nginx's loopback one: /metrics is no longer for it.
    assert trusting.get("/metrics", **FROM_NGINX).status_code == 404
    # https: the sign-up form posted from https://localhost is same-origin.
    assert sign_up_from_https_page(trusting, "proxied@example.com").status_code == 303


def test_proxy_headers_are_ignored_by_default(database_url, _schema):
    untrusting = proxied_app(database_url, 0).test_client()
    assert untrusting.get("/metrics", **FROM_NGINX).status_code == 200  # it sees 127.0.0.1
    assert sign_up_from_https_page(untrusting, "direct@example.com").status_code == 403


@pytest.mark.live
def test_gunicorn_writes_json_access_lines_with_the_request_id(database_url, _schema, tmp_path):
    with gunicorn_server(database_url, tmp_path, TASKCHAT_LOG_FORMAT="json") as server:
        given = requests.get(server.url + "/healthz", headers={"X-Request-ID": "probe-1"}, timeout=10)
        made = requests.get(server.url + "/readyz", timeout=10)
        metrics = requests.get(server.url + "/metrics", timeout=10)
    assert given.headers["X-Request-ID"] == "probe-1"
    assert metrics.status_code == 200
    # Multiprocess mode: gunicorn.conf.py gave the workers a PROMETHEUS_MULTIPROC_DIR.
    assert 'flask_http_request_duration_seconds_count{method="GET",status="200",url_rule="/healthz"}' in metrics.text
    lines = [json.loads(line) for line in (tmp_path / "server.log").read_text().splitlines()]
    access = {line["path"]: line for line in lines if "path" in line}
    assert access["/healthz"]["request_id"] == "probe-1"
    assert access["/healthz"]["status"] == 200
    assert access["/healthz"]["method"] == "GET"
    assert access["/readyz"]["request_id"] == made.headers["X-Request-ID"]
    assert all("time" in line for line in lines)
