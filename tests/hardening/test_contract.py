"""The OpenAPI document is the exact contract: what the code enforces is documented, every answer
conforms to it (checked on every /api answer of the whole suite), and schemathesis, with every
check on, finds nothing against a live server."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from taskchat import delivery
from taskchat.api import docs
from taskchat.api.chatkit import HANDLERS
from taskchat.api.schemas import NOT_BLANK, TaskOut
from taskchat.api.validation import documented
from taskchat.converters import MAX_PATH_INT
from taskchat.limits import LIMITED_ENDPOINTS

HERE = Path(__file__).resolve().parent
MIN_CASES = 2000


def test_blank_means_the_same_to_the_document_and_to_the_validator():
    pattern = re.compile(NOT_BLANK)
    for code in range(0x110000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue  # not text: the JSON reader refuses unpaired surrogates before validation
        assert bool(pattern.search(char)) == bool(char.strip()), hex(code)


def test_the_document_states_the_enforced_constraints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    title = schemas["TaskCreate"]["properties"]["title"]
    assert (title["maxLength"], title["pattern"]) == (500, docs._NOT_BLANK_NO_NUL)
    assert schemas["TaskCreate"]["properties"]["tags"]["items"]["maxLength"] == 64
    assert schemas["TaskCreate"]["additionalProperties"] is False
    assert schemas["ChatRequest"]["properties"]["message"]["maxLength"] == 4000
    assert "Etc/UTC" in schemas["RegisterRequest"]["properties"]["timezone"]["enum"]
    assert schemas["RegisterRequest"]["properties"]["email"]["pattern"]
    # a field a task cannot be without is not nullable in a PATCH
    assert schemas["TaskUpdate"]["properties"]["title"]["type"] == "string"
    # response bodies are exact too
    assert schemas["TaskOut"]["additionalProperties"] is False

    task = spec["paths"]["/api/v1/tasks/{number}"]
    number = task["get"]["parameters"][0]["schema"]
    assert (number["minimum"], number["maximum"]) == (0, MAX_PATH_INT)
    links = spec["paths"]["/api/v1/tasks"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        "get_api_v1_tasks_number", "patch_api_v1_tasks_number", "delete_api_v1_tasks_number"
    }
    assert set(task["patch"]["responses"]) == {"200", "400", "401", "404", "408", "413", "415", "422", "503"}
    assert set(spec["paths"]["/api/v1/auth/login"]["post"]["responses"]) >= {"401", "429"}
    # chat messages must include a user message (the turn); the ChatKit endpoint needs a body,
    # a ChatKit request or chat messages
    messages = schemas["CompletionRequest"]["properties"]["messages"]
    assert messages["contains"]["properties"]["role"] == {"const": "user"}
    chatkit_body = spec["paths"]["/api/v1/chatkit"]["post"]["requestBody"]
    assert chatkit_body["required"] is True
    chatkit_req, messages_form = (branch["allOf"] for branch in schemas["ChatKitBody"]["oneOf"])
    assert chatkit_req[1] == {"not": {"required": ["messages"]}}
    assert messages_form[0]["properties"]["messages"] == messages
    assert messages_form[1] == {"not": {"required": ["type"]}}
    # the ChatKit requests are the package's own, less the ones always refused (no attachments;
    # no dictation without a speech-to-text server); each must name its type
    mapping = chatkit_req[0]["discriminator"]["mapping"]
    assert set(mapping) == set(HANDLERS) - {"input.transcribe"}
    for ref in mapping.values():
        assert "type" in schemas[ref.rsplit("/", 1)[1]]["required"], ref
    message_input = schemas["UserMessageInput"]["properties"]
    assert message_input["attachments"]["maxItems"] == 0
    assert message_input["content"]["contains"]["anyOf"]


def test_dictation_is_in_the_document_when_a_speech_server_is_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "TASKCHAT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    with app.test_request_context():
        spec = docs.build_openapi(app)
    chatkit_req = spec["components"]["schemas"]["ChatKitBody"]["oneOf"][0]["allOf"][0]
    assert set(chatkit_req["discriminator"]["mapping"]) == set(HANDLERS)
    assert {"$ref": "#/components/schemas/InputTranscribeReq"} in chatkit_req["oneOf"]


def test_every_api_route_is_in_the_document(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented_ops = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented_ops, (path, method)
    for endpoint in LIMITED_ENDPOINTS:
        assert endpoint in app.view_functions


def test_an_answer_that_breaks_the_document_is_caught(app, client, auth):
    """The check every test runs through: a drifted body or an undocumented status is a 500."""

    @documented(summary="drift", response=TaskOut)
    def drifted():
        return {"number": 1, "title": "no other fields"}

    @documented(summary="teapot", response=TaskOut)
    def teapot():
        return {"error": {"code": "teapot", "message": "I am one."}}, 418

    app.add_url_rule("/api/v1/drifted", endpoint="api.drifted", view_func=drifted)
    app.add_url_rule("/api/v1/teapot", endpoint="api.teapot", view_func=teapot)
    answer = client.get("/api/v1/drifted")
    assert answer.status_code == 500
    assert answer.get_json()["error"]["code"] == "response_contract"
    assert "TaskOut" in answer.get_json()["error"]["message"]
    answer = client.get("/api/v1/teapot")
    assert answer.status_code == 500 and "status 418 is not documented" in answer.get_json()["error"]["message"]
    # and a conforming answer goes through untouched
    account = auth.register()
    created = client.post("/api/v1/tasks", json={"title": "Milk"}, headers=account.headers)
    assert created.status_code == 201
    TaskOut.model_validate(created.get_json())


def _a_notification(app, url: str, token: str) -> int:
    """A reminder that came due for the account: a notice exists only after a delivery run, and
    without one every generated POST /notifications/{id}/read would be a 404."""
    headers = {"Authorization": f"Bearer {token}"}
    # Tasks before it, so the notice's task has a number the generated DELETE /tasks/{number}
    # (small numbers first) is unlikely to reach before the notice is read.
    for n in range(40):
        requests.post(url + "/api/v1/tasks", json={"title": f"Filler {n}"}, headers=headers, timeout=10)
    due = datetime.now(UTC) + timedelta(minutes=5)
    task = requests.post(url + "/api/v1/tasks", json={"title": "Seed notice", "due_at": due.isoformat()},
                         headers=headers, timeout=10)
    assert task.status_code == 201, task.text
    added = requests.post(url + f"/api/v1/tasks/{task.json()['number']}/reminders",
                          json={"before_due_minutes": 0}, headers=headers, timeout=10)
    assert added.status_code == 201, added.text
    with app.app_context():
        assert delivery.deliver_due(lambda: due + timedelta(seconds=1)).notices == 1
    found = requests.get(url + "/api/v1/notifications", headers=headers, timeout=10).json()
    return found["notifications"][0]["id"]


def _signed_up(url: str, email: str) -> str:
    """A new account's token."""
    registered = requests.post(url + "/api/v1/auth/register",
                               json={"email": email, "password": "correct-horse-1"}, timeout=10)
    assert registered.status_code == 201, registered.text
    return registered.json()["access_token"]


def _a_conversation(url: str, token: str) -> str:
    """A conversation of the account, for the rename operation to find."""
    started = requests.post(url + "/api/v1/chat", json={"message": "hello"},
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert started.status_code == 200, started.text
    return started.json()["conversation_id"]


@pytest.mark.live
def test_schemathesis_finds_nothing(app, live_server, tmp_path):
    """All checks, the stateful phase following POST /tasks → /tasks/{number}, ≥ 2 000 cases."""
    token = _signed_up(live_server.url, f"schemathesis-{tmp_path.name[-12:]}@example.com")
    # The checked-in settings, plus the one id that exists only in this run's database.
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        (HERE / "schemathesis.toml").read_text()
        + "\n[[operations]]\n"
        + 'include-path = "/api/v1/notifications/{notification_id}/read"\n'
        + f"parameters = {{ notification_id = {_a_notification(app, live_server.url, token)} }}\n"
        # A rename needs a conversation that exists: without one every PATCH would be a 404.
        + "\n[[operations]]\n"
        + 'include-path = "/api/v1/conversations/{conversation_id}"\n'
        + 'include-method = "PATCH"\n'
        + f'parameters = {{ conversation_id = "{_a_conversation(live_server.url, token)}" }}\n'
    )
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(config),
        "run", live_server.url + "/api/v1/openapi.json",
        "--checks", "all",
        "--header", f"Authorization: Bearer {token}",
        "--max-examples", "170",
        "--seed", "20261128",
        # One worker: with two threads, CPython 3.11's ast.parse (which schemathesis reaches
        # while generating) now and then raises "AST constructor recursion depth mismatch",
        # a runtime error of the tool, not a finding about the app.
        "--workers", "1",
        "--no-shrink",
        "--request-timeout", "30",
        # Signing out (here, or everywhere) would revoke the one token every other case uses
        # (tests/test_auth.py and tests/hardening/test_probes.py cover them). The ChatKit
        # endpoint and chat/completions have runs of their own below.
        "--exclude-path", "/api/v1/auth/logout",
        "--exclude-path", "/api/v1/auth/logout-all",
        "--exclude-path", "/api/v1/chatkit",
        "--exclude-path", "/api/v1/chat/completions",
    ]
    output, summary = _schemathesis(command, tmp_path, timeout=900, min_cases=MIN_CASES)
    assert re.search(r"API Links:\s+\d+ covered", output), summary


@pytest.mark.live
def test_schemathesis_finds_nothing_on_chat_completions(app, live_server, tmp_path):  # app: its tables are emptied after
    """OpenAI's chat-completions dialect, streamed and not: all checks (the SSE events
    included), a few hundred cases. What the document allows is answered; what it refuses is
    refused."""
    token = _signed_up(live_server.url, f"completions-{tmp_path.name[-12:]}@example.com")
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run", live_server.url + "/api/v1/openapi.json",
        "--checks", "all",
        "--header", f"Authorization: Bearer {token}",
        "--include-path", "/api/v1/chat/completions",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "150",
        "--seed", "20261204",
        "--workers", "1",
        "--no-shrink",
        "--request-timeout", "30",
    ]
    _schemathesis(command, tmp_path, timeout=600, min_cases=200)


@pytest.mark.live
def test_schemathesis_finds_nothing_on_chatkit(app, live_server, tmp_path):  # app: its tables are emptied after
    """The ChatKit endpoint: every request type the document allows (generated from the
    openai-chatkit request union) and the seed's chat messages, all checks, a few hundred
    cases. Threads and items it names do not exist, so those answer 404, as documented."""
    token = _signed_up(live_server.url, f"chatkit-{tmp_path.name[-12:]}@example.com")
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(HERE / "schemathesis.toml"),
        "run", live_server.url + "/api/v1/openapi.json",
        "--checks", "all",
        "--header", f"Authorization: Bearer {token}",
        "--include-path", "/api/v1/chatkit",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "200",
        "--seed", "20261205",
        "--workers", "1",
        "--no-shrink",
        "--request-timeout", "30",
    ]
    _schemathesis(command, tmp_path, timeout=600, min_cases=200)


def _schemathesis(command: list[str], tmp_path: Path, *, timeout: int, min_cases: int) -> tuple[str, str]:
    """Run schemathesis; assert it found nothing in at least ``min_cases`` cases, all passed.
    Returns its output and summary."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=tmp_path)
    output = result.stdout + result.stderr
    summary = output[output.rfind("SUMMARY"):] if "SUMMARY" in output else output[-3000:]
    print(summary)
    assert result.returncode == 0, output[-6000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", output)
    assert cases, summary
    generated, passed = int(cases.group(1)), int(cases.group(2))
    assert generated == passed >= min_cases, summary
    assert "No issues found" in output
    return output, summary
