"""Model turns through ``POST /api/v1/chat`` against the fake OpenAI-compatible server."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Message, Task
from tests.helpers.fake_openai import MODEL, Step


def rows(app, conversation_id):
    """The stored messages of a conversation with their tool calls, as plain tuples."""
    with app.app_context():
        messages = db.session.scalars(
            select(Message)
            .where(Message.conversation_id == uuid.UUID(str(conversation_id)))
            .order_by(Message.sequence_number)
        ).all()
        return [
            {
                "role": m.role, "content": m.content, "model": m.model, "tokens_used": m.tokens_used,
                "interrupted": m.interrupted, "intent": m.intent,
                "tool_calls": [(c.tool_name, c.tool_input, c.status, c.error_message) for c in m.tool_calls],
            }
            for m in messages
        ]


def tasks_of(app, user_id):
    with app.app_context():
        return [
            (t.number, t.title, t.completed)
            for t in db.session.scalars(select(Task).where(Task.user_id == user_id).order_by(Task.number))
        ]


def test_text_only_turn_names_the_model_and_its_tokens(app, auth, chat, fake_llm):
    me = auth.register(timezone="Europe/Paris")
    fake_llm.add(Step(text=["Hello", "! How can", " I help?"], usage=(40, 5)))
    body = chat(me, "hi there")
    assert body["response"] == "Hello! How can I help?"
    stored = rows(app, body["conversation_id"])
    assert stored[1] == {
        "role": "assistant", "content": "Hello! How can I help?", "model": MODEL, "tokens_used": 45,
        "interrupted": False, "intent": "UNKNOWN", "tool_calls": [],
    }
    sent = fake_llm.requests[0]
    assert sent["model"] == MODEL and sent["stream"] is True
    assert sent["messages"][0]["role"] == "system" and "Europe/Paris" in sent["messages"][0]["content"]
    assert sent["messages"][-1] == {"role": "user", "content": "hi there"}
    assert {tool["function"]["name"] for tool in sent["tools"]} == {
        "add_task", "list_tasks", "search_tasks", "complete_task", "uncomplete_task", "update_task", "delete_task",
        "add_reminder", "list_reminders", "delete_reminder",
    }


def test_tool_round_then_answer(app, auth, chat, fake_llm):
    me = auth.register()
    fake_llm.add(
        Step(tool_calls=[("add_task", json.dumps({"title": "Buy milk", "priority": "high"}))]),
        Step(text=["Added ", "'Buy milk' ", "as task 1."]),
    )
    body = chat(me, "please add buy milk, it's urgent")
    assert body["response"] == "Added 'Buy milk' as task 1."
    assert body["metadata"]["intent"] == "CREATE" and body["metadata"]["tool_called"] == "add_task"
    assert tasks_of(app, me.user_id) == [(1, "Buy milk", False)]
    reply = rows(app, body["conversation_id"])[1]
    assert reply["tool_calls"] == [("add_task", {"title": "Buy milk", "priority": "high"}, "success", None)]
    assert reply["tokens_used"] == 74  # two completions of 37 tokens each
    # The model saw its call and the tool's result before answering.
    second = fake_llm.requests[1]["messages"]
    assert second[-2]["tool_calls"][0]["function"]["name"] == "add_task"
    assert second[-1]["role"] == "tool" and json.loads(second[-1]["content"])["number"] == 1


def test_history_carries_earlier_turns_and_tool_results(app, auth, chat, fake_llm):
    me = auth.register()
    fake_llm.add(Step(tool_calls=[("add_task", '{"title": "Call mom"}')]), Step(text=["Done."]))
    first = chat(me, "add call mom")
    fake_llm.add(Step(text=["You have one task."]))
    chat(me, "what do I have?", first["conversation_id"])
    messages = fake_llm.requests[2]["messages"]
    roles = [m["role"] for m in messages]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert json.loads(messages[3]["content"])["title"] == "Call mom"


def test_bad_arguments_are_a_tool_error_the_model_sees(app, auth, chat, fake_llm):
    me = auth.register()
    fake_llm.add(
        Step(tool_calls=[("complete_task", '{"number": "two"}')]),
        Step(tool_calls=[("complete_task", '{"number": 2')]),  # malformed JSON
        Step(tool_calls=[("drop_database", "{}")]),  # no such tool
        Step(tool_calls=[("add_task", '{"title": "x", "user_id": "someone-else"}')]),
        Step(text=["Sorry, I could not do that."]),
    )
    body = chat(me, "finish the second one")
    assert body["response"] == "Sorry, I could not do that."
    calls = rows(app, body["conversation_id"])[1]["tool_calls"]
    assert [(name, status) for name, _args, status, _error in calls] == [
        ("complete_task", "error"), ("complete_task", "error"), ("drop_database", "error"), ("add_task", "error"),
    ]
    assert calls[1][1] == {"raw": '{"number": 2'}
    tool_results = [m["content"] for m in fake_llm.requests[4]["messages"] if m["role"] == "tool"]
    assert "number" in tool_results[0] and "not valid JSON" in tool_results[1]
    assert "no tool called 'drop_database'" in tool_results[2] and "user_id" in tool_results[3]
    assert tasks_of(app, me.user_id) == []


def test_another_users_task_is_unreachable(app, auth, chat, fake_llm):
    owner, me = auth.register(), auth.register()
    with app.app_context():
        db.session.add(Task(user_id=owner.user_id, number=1, title="Owner's task", tags=[]))
        db.session.commit()
    fake_llm.add(Step(tool_calls=[("delete_task", '{"number": 1}')]), Step(text=["There is no task 1."]))
    body = chat(me, "delete task 1")
    assert rows(app, body["conversation_id"])[1]["tool_calls"] == [
        ("delete_task", {"number": 1}, "error", "There is no task 1.")
    ]
    assert tasks_of(app, owner.user_id) == [(1, "Owner's task", False)]


def test_bulk_deletion_needs_the_users_yes(app, auth, chat, fake_llm):
    me = auth.register()
    with app.app_context():
        for number, title in ((1, "a"), (2, "b"), (3, "c")):
            db.session.add(Task(user_id=me.user_id, number=number, title=title, tags=[]))
        db.session.commit()
    fake_llm.add(
        Step(tool_calls=[("delete_task", '{"number": 1}'), ("delete_task", '{"number": 2}')]),
        Step(text=["Deleted task 1. Shall I delete task 2 too?"]),
    )
    first = chat(me, "delete tasks 1 and 2")
    assert [c[2] for c in rows(app, first["conversation_id"])[1]["tool_calls"]] == ["success", "error"]
    assert "needs the user's yes" in rows(app, first["conversation_id"])[1]["tool_calls"][1][3]
    assert tasks_of(app, me.user_id) == [(2, "b", False), (3, "c", False)]

    fake_llm.add(Step(tool_calls=[("delete_task", '{"number": 2}'), ("delete_task", '{"number": 3}')]),
                 Step(text=["Deleted."]))
    chat(me, "yes", first["conversation_id"])
    assert tasks_of(app, me.user_id) == []


def test_too_many_tool_rounds_ends_the_turn_clearly(app, auth, chat, fake_llm):
    me = auth.register()
    fake_llm.add(*[Step(tool_calls=[("list_tasks", "{}")]) for _ in range(10)])
    body = chat(me, "loop forever")
    assert "more than 6 rounds of tool calls" in body["response"]
    assert len(rows(app, body["conversation_id"])[1]["tool_calls"]) == 7
    assert len(fake_llm.requests) == 7


def test_unreachable_server_falls_back_to_the_rule_agent(app, auth, chat, unreachable_llm):
    me = auth.register()
    body = chat(me, "add buy bread")
    assert body["response"].startswith("Added") and body["metadata"]["tool_called"] == "add_task"
    assert rows(app, body["conversation_id"])[1]["model"] == "taskchat-rules"
    assert tasks_of(app, me.user_id) == [(1, "Buy bread", False)]


def test_http_5xx_falls_back_to_the_rule_agent(app, auth, chat, fake_llm):
    me = auth.register()
    fake_llm.add(Step(status=503))
    body = chat(me, "add water plants")
    assert tasks_of(app, me.user_id) == [(1, "Water plants", False)]
    assert rows(app, body["conversation_id"])[1]["model"] == "taskchat-rules"


def test_timeout_falls_back_to_the_rule_agent(app, auth, chat, fake_llm):
    me = auth.register()
    app.config["TASKCHAT_LLM_TIMEOUT_SECONDS"] = 0.3
    fake_llm.add(Step(text=["too late"], silence=1.5))
    body = chat(me, "show my tasks")
    assert body["metadata"]["intent"] == "LIST"
    assert rows(app, body["conversation_id"])[1]["model"] == "taskchat-rules"


def test_failure_after_a_tool_call_keeps_it_and_says_so(app, auth, chat, fake_llm):
    me = auth.register()
    fake_llm.add(Step(tool_calls=[("add_task", '{"title": "Pay rent"}')]), Step(status=500))
    body = chat(me, "add pay rent")
    assert "The language model stopped answering: it answered HTTP 500" in body["response"]
    assert tasks_of(app, me.user_id) == [(1, "Pay rent", False)]
    reply = rows(app, body["conversation_id"])[1]
    assert reply["model"] == MODEL and reply["tool_calls"][0][2] == "success"


def test_closing_a_model_turn_stores_the_partial_text_and_stops_the_model(app, auth, chat, fake_llm):
    from taskchat.agent import TextDelta, run_turn, start_turn

    me = auth.register()
    fake_llm.add(
        Step(tool_calls=[("add_task", '{"title": "Pack bags"}')]),
        Step(text=["Added ", "Pack bags. ", "Anything ", "else ", "today?"] + ["…"] * 20, pause=0.05),
    )
    with app.app_context():
        start = start_turn(me.user_id, "add pack bags")
        turn = run_turn(me.user_id, start)
        said = []
        for event in turn:
            if isinstance(event, TextDelta):
                said.append(event.text)
                if len(said) == 2:
                    break
        turn.close()  # what a cancelled ChatKit stream does to the turn (sse.in_background)
    assert fake_llm.hung_up.wait(5)
    stored = rows(app, start.conversation_id)
    assert stored[1]["content"] == "Added Pack bags."
    assert stored[1]["interrupted"] is True and stored[1]["model"] == MODEL
    assert [(c[0], c[2]) for c in stored[1]["tool_calls"]] == [("add_task", "success")]
    assert tasks_of(app, me.user_id) == [(1, "Pack bags", False)]

    # The next turn tells the model the last answer was cut short.
    fake_llm.add(Step(text=["OK."]))
    chat(me, "thanks", str(start.conversation_id))
    notes = [m["content"] for m in fake_llm.requests[-1]["messages"] if m["role"] == "system"]
    assert notes[-1].startswith("The user cancelled the stream")
