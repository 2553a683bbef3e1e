"""Over real HTTP under gunicorn: the new requests, events, items and widgets, each validated
with the ``openai-chatkit`` models as sent."""

from __future__ import annotations

import warnings

import pytest
import requests
from pydantic import TypeAdapter

from tests.helpers.chatkit import (
    EVENT,
    IGNORE_WIDGET_DEPRECATION,
    ITEM_PAGE,
    REQUEST,
    dumps,
    parse_sse,
    register_over_http,
    user_input,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from chatkit.types import SyncCustomActionResponse
    from chatkit.widgets import WidgetRoot

SYNC_ACTION = TypeAdapter(SyncCustomActionResponse)
WIDGET = TypeAdapter(WidgetRoot)

pytestmark = [pytest.mark.live, IGNORE_WIDGET_DEPRECATION]


class Session:
    def __init__(self, base_url: str):
        account = register_over_http(base_url)
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {account.token}", "Content-Type": "application/json"})
        self.url = base_url + "/api/v1/chatkit"

    def post(self, body):
        REQUEST.validate_python(body)  # every request sent is a ChatKit request
        return self.http.post(self.url, data=dumps(body), timeout=30)

    def stream(self, body):
        response = self.post(body)
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/event-stream")
        return [EVENT.validate_json(payload) for payload in parse_sse(response.text)[0]]


def widgets(events):
    return [e.item for e in events if e.type == "thread.item.done" and e.item.type == "widget"]


def test_cards_undo_questions_and_mentions_conform_over_http(live_server):
    kit = Session(live_server.url)
    created = kit.stream({"type": "threads.create", "params": {"input": user_input("add call the bank")}})
    thread_id = created[0].thread.id
    [change] = widgets(created)
    WIDGET.validate_python(change.widget.model_dump(by_alias=True, exclude_none=True, mode="json"))
    kit.stream({"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": user_input("add call the plumber")}})

    listed = kit.stream({"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": user_input("show my tasks")}})
    [card] = widgets(listed)
    root = card.widget.model_dump(by_alias=True, exclude_none=True, mode="json")
    WIDGET.validate_python(root)
    select = root["children"][0]["children"][0]["children"][-1]["children"][1]
    assert select["type"] == "Select"
    action = {"type": select["onChangeAction"]["type"], "payload": {**select["onChangeAction"]["payload"], "value": "high"}}
    ticked = kit.post({"type": "threads.sync_custom_action",
                       "params": {"thread_id": thread_id, "item_id": card.id, "action": action}})
    assert ticked.status_code == 200, ticked.text
    updated = SYNC_ACTION.validate_json(ticked.content).updated_item
    WIDGET.validate_python(updated.widget.model_dump(by_alias=True, exclude_none=True, mode="json"))
    stale = kit.post({"type": "threads.sync_custom_action",
                      "params": {"thread_id": thread_id, "item_id": card.id, "action": action}})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_card"

    asked = kit.stream({"type": "threads.add_user_message", "metadata": {"structured_input": True},
                        "params": {"thread_id": thread_id, "input": user_input("mark call done")}})
    question = [e.item for e in asked if e.type == "thread.item.done" and e.item.type == "structured_input"][0]
    answered = kit.stream({"type": "threads.add_structured_input", "metadata": {"structured_input": True},
                           "params": {"thread_id": thread_id, "item_id": question.id, "input": {
                               "answers": {"answer": {"values": [question.inputs[0].options[0].value]}}}}})
    assert answered[0].type == "thread.item.replaced" and answered[0].item.status == "answered"

    tag = {"type": "input_tag", "id": "task-2", "text": "Call the plumber (task 2)", "data": {"number": 2}}
    mentioned = kit.stream({"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": {
        "content": [{"type": "input_text", "text": "done with "}, tag], "attachments": [], "inference_options": {}}}})
    reply = [e.item for e in mentioned if e.type == "thread.item.done" and e.item.type == "assistant_message"][0]
    assert [a.source.id for a in reply.content[0].annotations] == ["task-2"]

    undone = kit.stream({"type": "threads.custom_action", "params": {
        "thread_id": thread_id, "item_id": widgets(mentioned)[0].id, "action": {"type": "task.undo", "payload": {}}}})
    assert [e.type for e in undone][:2] == ["stream_options", "thread.item.updated"]

    page = kit.post({"type": "items.list", "metadata": {"structured_input": True}, "params": {"thread_id": thread_id, "limit": 100}})
    assert page.status_code == 200
    items = ITEM_PAGE.validate_json(page.content).data
    assert {item.type for item in items} >= {"user_message", "assistant_message", "widget", "structured_input"}
