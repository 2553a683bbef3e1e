"""``flask --app taskchat mcp --user EMAIL``: the task tools over stdio, driven by the mcp package's client."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from sqlalchemy import select

from taskchat.extensions import db
from taskchat.models import Task

ROOT = Path(__file__).resolve().parent.parent


def run_session(database_url: str, email: str, script, errlog_path: Path):
    """Start the server as a subprocess, run ``script(session)`` against it, return its result."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "flask", "--app", "taskchat", "mcp", "--user", email],
        env={"TASKCHAT_ENV": "testing", "DATABASE_URL": database_url, "PATH": os.environ["PATH"]},
        cwd=ROOT,
    )

    async def main():
        with anyio.fail_after(60), open(errlog_path, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                return await script(session)

    return anyio.run(main)


def tasks_of(app, user_id):
    with app.app_context():
        return [
            (task.number, task.title, task.completed, task.priority)
            for task in db.session.scalars(select(Task).where(Task.user_id == user_id).order_by(Task.number))
        ]


def test_list_add_list_complete(app, auth, database_url, tmp_path):
    me = auth.register("mcp@example.com")
    other = auth.register("other@example.com")
    with app.app_context():
        db.session.add(Task(user_id=other.user_id, number=1, title="Someone else's", tags=[]))
        db.session.commit()

    async def script(session):
        tools = await session.list_tools()
        added = await session.call_tool("add_task", {"title": "Water the plants", "priority": "high"})
        listed = await session.call_tool("list_tasks", {"status": "pending"})
        done = await session.call_tool("complete_task", {"number": 1})
        return tools, added, listed, done

    tools, added, listed, done = run_session(database_url, me.email, script, tmp_path / "mcp.log")

    by_name = {tool.name: tool for tool in tools.tools}
    assert set(by_name) == {
        "add_task", "list_tasks", "search_tasks", "complete_task", "uncomplete_task", "update_task", "delete_task",
        "add_reminder", "list_reminders", "delete_reminder",
    }
    from taskchat.agent.tools import TOOLS

    assert by_name["update_task"].input_schema == TOOLS["update_task"].parameters
    assert "user_id" not in json.dumps(by_name["add_task"].input_schema)

    assert not added.is_error and added.structured_content["number"] == 1
    assert [task["title"] for task in listed.structured_content["tasks"]] == ["Water the plants"]
    assert not done.is_error and done.structured_content["completed"] is True
    assert tasks_of(app, me.user_id) == [(1, "Water the plants", True, "high")]
    assert tasks_of(app, other.user_id) == [(1, "Someone else's", False, "none")]


def test_refusals_are_tool_errors_and_write_nothing(app, auth, database_url, tmp_path):
    me = auth.register("mcp2@example.com")

    async def script(session):
        return [
            await session.call_tool("add_task", {"title": "", "user_id": "x"}),
            await session.call_tool("complete_task", {"number": 7}),
            await session.call_tool("delete_all_tasks", {}),
            await session.call_tool("update_task", {"number": 1, "title": None}),
            await session.call_tool("add_task", {"title": "Still works"}),
        ]

    bad_args, missing, unknown, null_title, ok = run_session(database_url, me.email, script, tmp_path / "mcp.log")
    assert bad_args.is_error and "title" in bad_args.content[0].text and "user_id" in bad_args.content[0].text
    assert missing.is_error and missing.content[0].text == "There is no task 7."
    assert unknown.is_error and "no tool called 'delete_all_tasks'" in unknown.content[0].text
    assert null_title.is_error
    assert not ok.is_error
    assert tasks_of(app, me.user_id) == [(1, "Still works", False, "none")]


def test_unknown_user_is_refused(runner, app):
    result = runner.invoke(args=["mcp", "--user", "nobody@example.com"])
    assert result.exit_code != 0 and "There is no user nobody@example.com" in result.output
