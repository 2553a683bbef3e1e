"""The deployment of the README, on loopback: nginx → two gunicorn instances → one PostgreSQL,
and two reminder workers (Huey consumers on the same Redis).

nginx runs ``deploy/nginx/taskchat.conf`` itself, with only the addresses, ports, certificate
paths and read timeout substituted (each substitution must match, so the test follows the
file). TLS comes from a throw-away CA (trustme). The two instances stand for two machines: same
secrets, same database (a throw-away PostgreSQL database, migrated with ``flask db upgrade``),
same Redis, and each its own port, log and metrics directory. Which instance served a request
is read from the instances' JSON access logs by request id. The workers run the command of
``deploy/systemd/taskchat-worker.service`` (RedisHuey, a queue name of this run's own); the
instances run no consumer of their own (``TASKCHAT_JOBS=off``, as in the example env file),
and reminder email goes to an SMTP server on loopback (aiosmtpd).
"""

from __future__ import annotations

import asyncio
import email
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import redis
import requests
import trustme
from aiosmtpd.controller import Controller
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers.app import ROOT, free_port
from tests.helpers.fake_openai import MODEL, FakeOpenAI, Step

pytestmark = [pytest.mark.deploy, pytest.mark.live]

SITE = ROOT / "deploy" / "nginx" / "taskchat.conf"
WORKER_UNIT = ROOT / "deploy" / "systemd" / "taskchat-worker.service"
# Each message takes this long to hand over, so that a worker is killed in the middle of sending.
SMTP_PAUSE = 0.2
ADMIN_URL = os.environ.get("TASKCHAT_DEPLOY_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = ("127.0.0.1", 6379)
STREAM_DELAY_MS = 100
HEARTBEAT_SECONDS = 1
READ_TIMEOUT = "2s"
SIGNIN_LIMIT = 3


def nginx_binary() -> str:
    """Debian's nginx, installed with apt-get when missing (root); otherwise the test fails."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail("The deployment test needs nginx: `sudo apt-get install nginx`.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], env=env, check=True)
    # The package may have started the system's own nginx on port 80; this test needs none.
    subprocess.run(["/usr/sbin/nginx", "-s", "quit"], capture_output=True)
    return "/usr/sbin/nginx"


def substitute(text: str, old: str, new: str, count: int = 1) -> str:
    assert text.count(old) == count, f"deploy/nginx/taskchat.conf no longer has {old!r} x{count}"
    return text.replace(old, new)


def site_config(app_ports: list[int], http_port: int, https_port: int, cert: Path, key: Path) -> str:
    text = SITE.read_text()
    text = substitute(text, "server 10.0.0.11:8000", f"server 127.0.0.1:{app_ports[0]}")
    text = substitute(text, "server 10.0.0.12:8000", f"server 127.0.0.1:{app_ports[1]}")
    text = substitute(text, "    listen [::]:80;\n", "")
    text = substitute(text, "    listen [::]:443 ssl http2;\n", "")
    text = substitute(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = substitute(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = substitute(text, "server_name chat.example.com;", "server_name localhost;", count=2)
    text = substitute(text, "/etc/letsencrypt/live/chat.example.com/fullchain.pem", str(cert))
    text = substitute(text, "/etc/letsencrypt/live/chat.example.com/privkey.pem", str(key))
    return substitute(text, "proxy_read_timeout 60s;", f"proxy_read_timeout {READ_TIMEOUT};")


def wait_for(url: str, process: subprocess.Popen, log: Path, **kwargs) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url, timeout=5, **kwargs).status_code == 200:
                return
        except requests.RequestException:  # still starting
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


@dataclass
class Instance:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    def access_lines(self) -> list[dict]:
        lines = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if "path" in record:
                    lines.append(record)
        return lines


class Mailbox:
    """The deployment's SMTP server: keeps every message's Message-ID and recipient."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(SMTP_PAUSE)
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.received.append((message["Message-ID"], message["To"]))
        return "250 OK"


@dataclass
class Stack:
    url: str
    http_url: str
    ca_file: str
    database_url: str
    instances: list[Instance] = field(default_factory=list)
    model: Stack | None = None  # the model-backed app server behind its own nginx
    fake_model: FakeOpenAI | None = None
    env: dict[str, str] = field(default_factory=dict)
    mailbox: Mailbox | None = None
    tmp: Path | None = None

    def served_by(self, request_id: str) -> str:
        """Which instance wrote the access line of ``request_id`` (written when it ends)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for instance in self.instances:
                if any(line["request_id"] == request_id for line in instance.access_lines()):
                    return instance.name
            time.sleep(0.1)
        raise AssertionError(f"no instance logged request {request_id}")

    def session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would win over verify
        session.verify = self.ca_file
        return session


def start_instance(name: str, env: dict[str, str], tmp: Path) -> Instance:
    port = free_port()
    metrics_dir = tmp / f"metrics-{name}"
    metrics_dir.mkdir()
    log = tmp / f"{name}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env={
            **env,
            "TASKCHAT_BIND": f"127.0.0.1:{port}",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    instance = Instance(name, port, process, log)
    wait_for(f"http://127.0.0.1:{port}/readyz", process, log)
    return instance


def start_nginx(nginx: str, app_ports: list[int], tmp: Path, ca: trustme.CA) -> tuple[subprocess.Popen, str, str]:
    """nginx running the site in front of ``app_ports`` (two upstream servers; both may be one
    port); returns the process and the https and http addresses."""
    tmp.mkdir(exist_ok=True)
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    http_port, https_port = free_port(), free_port()
    site = tmp / "site.conf"
    site.write_text(site_config(app_ports, http_port, https_port, cert_file, key_file))
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / name).mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the temp dirs
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\n"
        f"error_log {tmp}/nginx-error.log info;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n  access_log {tmp}/nginx-access.log;\n"
        f"  client_body_temp_path {tmp}/client_body;\n  proxy_temp_path {tmp}/proxy;\n"
        f"  fastcgi_temp_path {tmp}/fastcgi;\n  uwsgi_temp_path {tmp}/uwsgi;\n"
        f"  scgi_temp_path {tmp}/scgi;\n  include {site};\n}}\n"
    )
    process = subprocess.Popen(
        [nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "nginx-error.log")],
        stdout=(tmp / "nginx.out").open("w"), stderr=subprocess.STDOUT,
    )
    return process, f"https://localhost:{https_port}", f"http://127.0.0.1:{http_port}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    nginx = nginx_binary()
    try:
        socket.create_connection(REDIS, timeout=2).close()
    except OSError:
        pytest.fail("The deployment test needs Redis on 127.0.0.1:6379 (.ci/run starts it).")
    tmp = tmp_path_factory.mktemp("deploy")
    database = f"taskchat_deploy_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    server, _, _ = ADMIN_URL.rpartition("/")
    database_url = f"{server.replace('postgresql://', 'postgresql+psycopg://', 1)}/{database}"
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    jobs_name = f"taskchat-deploy-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "TASKCHAT_ENV": "production",
        "SECRET_KEY": "deploy-test-secret-key-shared-by-both-instances",
        "JWT_SECRET_KEY": "deploy-test-jwt-secret-key-shared-by-both-instances",
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/0",
        "TASKCHAT_TRUSTED_PROXIES": "1",
        "TASKCHAT_LOG_FORMAT": "json",
        "TASKCHAT_STREAM_DELAY_MS": str(STREAM_DELAY_MS),
        "TASKCHAT_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "WEB_CONCURRENCY": "2",
        "TASKCHAT_THREADS": "8",
        # Counted in Redis, shared by both instances. Sign-ups are many here (one per test).
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_SIGNIN_PER_ADDRESS": f"{SIGNIN_LIMIT} per minute",
        "RATELIMIT_SIGNUP_PER_ADDRESS": "1000 per minute",
        # Reminders: delivered by the worker units only; a queue of this run's own in the shared Redis.
        "TASKCHAT_JOBS": "off",
        "TASKCHAT_JOBS_NAME": jobs_name,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_DEFAULT_SENDER": "taskchat <reminders@example.com>",
        "TASKCHAT_BASE_URL": "https://localhost",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    instances: list[Instance] = []
    proxies: list[subprocess.Popen] = []
    model = None
    try:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "taskchat", "db", "upgrade"],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )
        instances = [start_instance("a", env, tmp), start_instance("b", env, tmp)]

        ca = trustme.CA()
        ca_file = tmp / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        nginx_process, url, http_url = start_nginx(nginx, [i.port for i in instances], tmp / "nginx", ca)
        proxies.append(nginx_process)
        wait_for(url + "/healthz", nginx_process, tmp / "nginx" / "nginx-error.log", verify=str(ca_file))

        # A third app server whose turns go to a (fake) model that is slow to start answering,
        # behind nginx of its own: the idle stream that heartbeats exist for.
        model = FakeOpenAI()
        model_instance = start_instance(
            "m", {**env, "TASKCHAT_LLM_BASE_URL": model.url, "TASKCHAT_LLM_MODEL": MODEL}, tmp
        )
        instances.append(model_instance)
        model_process, model_url, _ = start_nginx(nginx, [model_instance.port] * 2, tmp / "nginx-model", ca)
        proxies.append(model_process)
        wait_for(model_url + "/healthz", model_process, tmp / "nginx-model" / "nginx-error.log", verify=str(ca_file))
        model_stack = Stack(model_url, "", str(ca_file), database_url, [model_instance], fake_model=model)
        yield Stack(url, http_url, str(ca_file), database_url, instances[:2], model=model_stack, env=env,
                    mailbox=mailbox, tmp=tmp)
    finally:
        smtp.stop()
        queue = redis.Redis(*REDIS)
        for key in queue.scan_iter(f"*{jobs_name}*"):
            queue.delete(key)
        for proxy in proxies:
            proxy.terminate()
            proxy.wait(timeout=30)
        if model is not None:
            model.close()
        for instance in instances:
            instance.process.terminate()
            instance.process.wait(timeout=60)
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def register(stack: Stack) -> tuple[requests.Session, str, str]:
    """A new user through nginx; returns a session, the email and the access token."""
    session = stack.session()
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    response = session.post(
        stack.url + "/api/v1/auth/register", json={"email": email, "password": "correct-horse-1"}
    )
    assert response.status_code == 201, response.text
    return session, email, response.json()["access_token"]


def request_from(stack: Stack, source: str, method: str, path: str, body: dict | None = None,
                 headers: dict | None = None) -> tuple[int, bytes]:
    """A request through nginx from another loopback address (``source``, e.g. 127.0.0.2)."""
    context = ssl.create_default_context(cafile=stack.ca_file)
    port = int(stack.url.rsplit(":", 1)[1])
    connection = http.client.HTTPSConnection("localhost", port, source_address=(source, 0), context=context)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {**({"Content-Type": "application/json"} if payload else {}), **(headers or {})}
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Timed:
    lines: list[tuple[float, str]]
    status: int
    headers: dict


def stream(stack: Stack, path: str, body: dict, token: str, request_id: str) -> Timed:
    """POST through nginx and read the event stream, noting when each line arrived."""
    started = time.monotonic()
    with stack.session().post(
        stack.url + path,
        json=body,
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
        stream=True,
        timeout=60,
    ) as response:
        lines = [
            (time.monotonic() - started, line)
            for line in response.iter_lines(chunk_size=None, decode_unicode=True)
            if line
        ]
        return Timed(lines, response.status_code, dict(response.headers))


def completion_text(timed: Timed) -> list[tuple[float, str]]:
    """(arrival, text) of each chat.completion.chunk that carries text."""
    pieces = []
    for at, line in timed.lines:
        if line.startswith("data: {"):
            chunk = json.loads(line[len("data: "):])
            assert "choices" in chunk, chunk
            delta = chunk["choices"][0]["delta"]
            if delta.get("content"):
                pieces.append((at, delta["content"]))
    return pieces


def test_streamed_replies_pass_nginx_unbuffered(stack):
    _, _, token = register(stack)
    timed = stream(
        stack, "/api/v1/chat/completions",
        {"messages": [{"role": "user", "content": "help"}], "stream": True}, token, "unbuffered-1",
    )
    assert timed.status == 200 and timed.headers["Content-Type"].startswith("text/event-stream")
    pieces = completion_text(timed)
    first, last = pieces[0][0], pieces[-1][0]
    words = len(pieces)
    print(f"\nthrough nginx: {words} text chunks, first text at {first:.3f}s, last at {last:.3f}s")
    assert words >= 10
    # Paced at 100 ms a word, the last word comes (words-1) * 0.1 s after the first. Buffered by
    # nginx, they would arrive together.
    assert last - first >= (words - 1) * STREAM_DELAY_MS / 1000 * 0.8
    assert first < (last - first) / 2
    assert timed.lines[-1][1] == "data: [DONE]"


def test_heartbeats_keep_an_idle_stream_open_past_the_read_timeout(stack):
    """A model that says nothing for 5 s; nginx's read timeout is 2 s, the heartbeat 1 s.

    (A rule-based turn runs in the request's thread and has nothing to wait for but the
    database, whose waits the connect and statement timeouts bound; heartbeats are for turns
    that wait on something slower, which run in a worker thread.)
    """
    model = stack.model
    _, _, token = register(model)
    model.fake_model.reset()
    model.fake_model.add(Step(text=["Nothing ", "to add ", "today."], silence=5))
    timed = stream(
        model, "/api/v1/chat/completions",
        {"messages": [{"role": "user", "content": "anything to add?"}], "stream": True},
        token, "idle-1",
    )
    heartbeats = [at for at, line in timed.lines if line.startswith(":")]
    pieces = completion_text(timed)
    print(f"\nidle stream: {len(heartbeats)} heartbeats, first reply text at {pieces[0][0]:.2f}s")
    assert timed.status == 200
    assert len(heartbeats) >= 3
    assert pieces[0][0] >= 4.5  # the text came when the model spoke, 5 s into the stream
    assert "".join(text for _, text in pieces) == "Nothing to add today."
    assert timed.lines[-1][1] == "data: [DONE]"


def test_one_conversation_goes_on_across_instances_and_surfaces(stack):
    _, email, token = register(stack)
    bearer = {"Authorization": f"Bearer {token}"}
    served = []

    # 1. JSON chat starts it.
    api = stack.session()
    first = api.post(stack.url + "/api/v1/chat", json={"message": "add buy milk"},
                     headers={**bearer, "X-Request-ID": "conv-1"})
    assert first.status_code == 200, first.text
    conversation_id = first.json()["conversation_id"]
    served.append(stack.served_by("conv-1"))

    # 2. ChatKit: "it" is the task the conversation last spoke of (state on the conversation row).
    chatkit = stream(
        stack, "/api/v1/chatkit",
        {"type": "threads.add_user_message",
         "params": {"thread_id": f"thr_{uuid.UUID(conversation_id).hex}",
                    "input": {"content": [{"type": "input_text", "text": "mark it done"}],
                              "attachments": [], "inference_options": {}}}},
        token, "conv-2",
    )
    assert chatkit.status == 200
    assert "error" not in {json.loads(line[6:]).get("type") for _, line in chatkit.lines if line.startswith("data: ")}
    served.append(stack.served_by("conv-2"))

    # 3. The page, signed in with a cookie that is Secure (https through nginx).
    page = stack.session()
    signed_in = page.post(stack.url + "/login", data={"email": email, "password": "correct-horse-1"},
                          headers={"Origin": stack.url}, allow_redirects=False)
    assert signed_in.status_code == 303, signed_in.text
    assert "secure" in signed_in.headers["Set-Cookie"].lower()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get(stack.url + "/").text).group(1)
    sent = page.post(stack.url + "/messages",
                     data={"message": "reopen it", "conversation_id": conversation_id, "csrf_token": csrf},
                     headers={"X-Request-ID": "conv-3"}, allow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["Location"].split("#")[0].endswith(f"/c/{conversation_id}")
    served.append(stack.served_by("conv-3"))

    # 4. JSON chat again.
    last = api.post(stack.url + "/api/v1/chat",
                    json={"message": "show my tasks", "conversation_id": conversation_id},
                    headers={**bearer, "X-Request-ID": "conv-4"})
    assert last.status_code == 200
    served.append(stack.served_by("conv-4"))
    print(f"\nturns of one conversation served by: {served}")
    assert set(served) == {"a", "b"}

    history = api.get(stack.url + f"/api/v1/conversations/{conversation_id}", headers=bearer).json()
    replies = [m for m in history["messages"] if m["role"] == "assistant"]
    assert [m["intent"] for m in replies] == ["CREATE", "COMPLETE", "UNCOMPLETE", "LIST"]
    task = api.get(stack.url + "/api/v1/tasks/1", headers=bearer).json()
    assert task["title"].lower() == "buy milk" and task["completed"] is False


def test_forwarded_headers_are_trusted_from_nginx(stack):
    # Plain http is sent to https by nginx.
    to_https = requests.get(stack.http_url + "/login", allow_redirects=False, timeout=10)
    assert to_https.status_code == 301 and to_https.headers["Location"].startswith("https://")
    # A page that needs a user redirects within https.
    session = stack.session()
    redirect = session.get(stack.url + "/", allow_redirects=False)
    assert redirect.status_code in (302, 303)
    location = redirect.headers["Location"]
    assert location.startswith("/") or location.startswith("https://")
    assert session.get(stack.url + "/").url.startswith(stack.url + "/login")
    # The sign-up form is same-origin only if the app knows the page is https.
    signed_up = session.post(stack.url + "/register",
                             data={"email": f"{uuid.uuid4().hex[:8]}@example.com", "password": "correct-horse-1"},
                             headers={"Origin": stack.url, "X-Request-ID": "fwd-1"}, allow_redirects=False)
    assert signed_up.status_code == 303
    # The client's address, not nginx's: the client connects from 127.0.0.2, nginx from
    # 127.0.0.1, and a forged X-Forwarded-For is not believed (one trusted proxy: nginx's entry).
    status, _ = request_from(stack, "127.0.0.2", "GET", "/healthz",
                             headers={"X-Forwarded-For": "203.0.113.50", "X-Request-ID": "fwd-2"})
    assert status == 200
    name = stack.served_by("fwd-2")
    line = next(x for i in stack.instances if i.name == name for x in i.access_lines()
                if x["request_id"] == "fwd-2")
    assert line["remote_addr"] == "127.0.0.2"
    # /metrics is not served through the public site.
    assert session.get(stack.url + "/metrics").status_code == 404


def loopback_address() -> str:
    """A loopback address of its own for each run, so counters left in Redis by another run
    within the minute do not count."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(2, 254)}"


def test_per_address_limits_count_the_client_behind_nginx_on_both_instances(stack):
    limited, other = loopback_address(), loopback_address()
    statuses, request_ids = [], []
    for n in range(SIGNIN_LIMIT + 2):
        request_id = f"limit-{uuid.uuid4().hex[:8]}"
        status, body = request_from(
            stack, limited, "POST", "/api/v1/auth/login",
            {"email": f"nobody{n}@example.com", "password": "not-the-password-1"},
            {"X-Request-ID": request_id},
        )
        statuses.append(status)
        request_ids.append(request_id)
    served = [stack.served_by(request_id) for request_id in request_ids]
    print(f"\nsign-ins from {limited}: {statuses}, served by {served}")
    # One count across both instances (Redis), per client address (not nginx's).
    assert statuses == [401] * SIGNIN_LIMIT + [429, 429]
    assert json.loads(body)["error"]["code"] == "too_many_requests"
    assert set(served) == {"a", "b"}
    status, _ = request_from(
        stack, other, "POST", "/api/v1/auth/login",
        {"email": "nobody@example.com", "password": "not-the-password-1"},
    )
    assert status == 401


def test_a_graceful_reload_loses_no_turn(stack):
    _, email, token = register(stack)
    reloaded = stack.instances[0]
    count = 4

    def ask(n: int) -> Timed:
        return stream(
            stack, "/api/v1/chat/completions",
            {"messages": [{"role": "user", "content": "help"}], "stream": True}, token, f"reload-{n}",
        )

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(ask, n) for n in range(count)]
        time.sleep(1.0)  # the streams are open and sending
        open_streams = sum(metric(i, "taskchat_open_streams") for i in stack.instances)
        reloaded.process.send_signal(signal.SIGHUP)
        results = [future.result(timeout=60) for future in futures]

    expected = "".join(text for _, text in completion_text(results[0]))
    for timed in results:
        assert timed.status == 200
        assert timed.lines[-1][1] == "data: [DONE]"
        assert "".join(text for _, text in completion_text(timed)) == expected
    served = [stack.served_by(f"reload-{n}") for n in range(count)]
    print(f"\nstreams open during the reload of instance a, served by: {served}")
    assert "a" in served
    # Each server's /metrics adds up its workers (gunicorn multiprocess mode).
    assert open_streams == count
    log = reloaded.log.read_text()
    assert "Hang up" in log  # gunicorn did reload

    # Every turn is stored whole: one assistant reply per question.
    plain_url = stack.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain_url) as conn:
        replies = conn.execute(
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "JOIN users u ON u.id = c.user_id "
            "WHERE u.email = %s AND m.role = 'assistant' AND m.content = %s",
            (email, expected),
        ).fetchone()[0]
    assert replies == count
    # And the reloaded instance answers again.
    assert requests.get(f"http://127.0.0.1:{reloaded.port}/readyz", timeout=10).status_code == 200


def metric(instance: Instance, name: str, **labels: str) -> float:
    """One sample of an instance's /metrics, scraped directly (0 when absent)."""
    text = requests.get(f"http://127.0.0.1:{instance.port}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_each_instance_served_requests_and_counts_them(stack):
    counts = {i.name: len(i.access_lines()) for i in stack.instances}
    print(f"\nrequests served: {counts}")
    assert all(n > 0 for n in counts.values())
    turns = {i.name: metric(i, "taskchat_turns_total", intent="CREATE") for i in stack.instances}
    print(f"CREATE turns counted by each instance: {turns}")
    assert sum(turns.values()) >= 1
    for instance in stack.instances:
        text = requests.get(f"http://127.0.0.1:{instance.port}/metrics", timeout=10).text
        print(f"--- /metrics of instance {instance.name} (taskchat_ and request counts):")
        print("\n".join(
            line for line in text.splitlines()
            if (line.startswith("taskchat_") and "_bucket" not in line and "_created" not in line)
            or line.startswith("flask_http_request_duration_seconds_count")
        ))


def worker_command() -> list[str]:
    """The ExecStart of deploy/systemd/taskchat-worker.service, with this checkout's venv."""
    [line] = [x for x in WORKER_UNIT.read_text().splitlines() if x.startswith("ExecStart=")]
    command = line.removeprefix("ExecStart=").split()
    assert command[0] == "/srv/taskchat/.venv/bin/huey_consumer", command
    return [str(Path(sys.executable).parent / "huey_consumer"), *command[1:]]


def start_worker(name: str, stack: Stack, env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
    log = stack.tmp / f"worker-{name}.log"
    process = subprocess.Popen(worker_command(), cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    return process, log


def claims_by_process(plain_url: str) -> Counter:
    """Pending reminders under a lease, by the process id that leads its claim token."""
    with psycopg.connect(plain_url) as conn:
        tokens = conn.execute(
            "SELECT claim_token FROM reminders WHERE state = 'pending' AND claim_token IS NOT NULL "
            "AND claimed_until > now()"
        ).fetchall()
    return Counter(int(token.split("-", 1)[0]) for (token,) in tokens)


def test_two_workers_deliver_every_reminder_once_in_the_app_when_one_is_killed(stack):
    """Two worker units on RedisHuey; reminders of several users come due a few seconds ahead;
    the worker holding claims is SIGKILLed while it sends. Every notice exactly once, every
    email at least once, repeats only what the killed worker had in flight."""
    plain_url = stack.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    metrics_dir = stack.tmp / "metrics-a"  # instance a's /metrics shows the workers' counts too
    worker_env = {
        **stack.env,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        # A short lease (the killed worker's claims are taken over 3 s on) and small batches
        # (so that both workers claim some of a dozen reminders).
        "TASKCHAT_REMINDER_LEASE_SECONDS": "3",
        "TASKCHAT_REMINDER_BATCH": "3",
    }
    threads = int(worker_command()[worker_command().index("-w") + 1])
    for instance in stack.instances:
        assert "job consumer started" not in instance.log.read_text()  # TASKCHAT_JOBS=off
    workers = [start_worker(name, stack, worker_env) for name in ("1", "2")]
    try:
        deadline = time.monotonic() + 30
        while not all("consumer started" in log.read_text().lower() for _, log in workers):
            assert time.monotonic() < deadline and all(p.poll() is None for p, _ in workers), \
                "\n".join(log.read_text()[-2000:] for _, log in workers)
            time.sleep(0.1)

        users = []
        for _ in range(12):
            session, address, token = register(stack)
            users.append((session, address, {"Authorization": f"Bearer {token}"}))
        due = datetime.now(UTC) + timedelta(seconds=3)
        for n, (session, _address, headers) in enumerate(users):
            created = session.post(stack.url + "/api/v1/tasks",
                                   json={"title": f"Call mom {n}", "due_at": due.isoformat()}, headers=headers)
            assert created.status_code == 201, created.text
            added = session.post(stack.url + "/api/v1/tasks/1/reminders", json={"before_due_minutes": 0}, headers=headers)
            assert added.status_code == 201, added.text
        expected = {address for _s, address, _h in users}

        # Kill the first worker seen holding claims once it has sent something: it is mid-run.
        pids = {process.pid: (process, log) for process, log in workers}
        victim = None
        deadline = time.monotonic() + 40
        while victim is None and time.monotonic() < deadline:
            holding = [pid for pid in claims_by_process(plain_url) if pid in pids]
            if holding and stack.mailbox.received:
                victim = pids[holding[0]][0]
                held = claims_by_process(plain_url)[victim.pid]
                victim.send_signal(signal.SIGKILL)
                victim.wait(timeout=10)
                killed_at = time.monotonic()
            time.sleep(0.02)
        assert victim is not None, "no worker was seen holding claims"
        survivor = next(p for p, _ in workers if p is not victim)

        # The survivor takes the killed one's claims over when their lease runs out.
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            with psycopg.connect(plain_url) as conn:
                unsent = conn.execute("SELECT count(*) FROM reminders WHERE state != 'sent'").fetchone()[0]
            with stack.mailbox.lock:
                mailed = {to for _id, to in stack.mailbox.received}
            if unsent == 0 and mailed >= expected:
                break
            time.sleep(0.1)
        done_after_kill = time.monotonic() - killed_at
        assert survivor.poll() is None

        # In the app, through nginx: every user's reminder exactly once.
        delays = []
        for n, (session, _address, headers) in enumerate(users):
            notices = session.get(stack.url + "/api/v1/notifications", headers=headers)
            assert notices.status_code == 200
            [notice] = notices.json()["notifications"]
            assert notice["title"] == f"Call mom {n}" and notice["email"]["state"] == "sent"
            delays.append((datetime.fromisoformat(notice["created_at"]) - due).total_seconds())
        # By email: every reminder at least once; repeated only what a killed thread had in flight.
        with stack.mailbox.lock:
            received = list(stack.mailbox.received)
        by_id = Counter(message_id for message_id, _to in received)
        assert {to for _id, to in received} == expected
        assert len(by_id) == len(expected)  # one Message-ID per reminder: a repeat is recognisable
        repeats = sum(n - 1 for n in by_id.values())
        assert repeats <= threads
        delay_sum = metric(stack.instances[0], "taskchat_reminder_delay_seconds_sum", channel="app")
        delay_count = metric(stack.instances[0], "taskchat_reminder_delay_seconds_count", channel="app")
        emails_sent = metric(stack.instances[0], "taskchat_reminders_sent_total", channel="email")
        print(f"\n{len(users)} reminders due {due:%H:%M:%S.%f}; worker {victim.pid} SIGKILLed holding {held} claims; "
              f"all delivered {done_after_kill:.1f} s after the kill")
        print(f"notices: {len(users)}, each once; due to notice {min(delays):.2f}..{max(delays):.2f} s; "
              f"emails received {len(received)} ({repeats} repeated), counted sent by the workers {emails_sent:.0f}")
        print(f"taskchat_reminder_delay_seconds: count {delay_count:.0f}, mean "
              f"{delay_sum / delay_count if delay_count else float('nan'):.2f} s")
    finally:
        for process, _log in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process, _log in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
