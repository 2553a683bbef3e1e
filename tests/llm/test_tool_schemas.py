"""The task tools' JSON schemas come from the pydantic models that validate the REST API."""

import pytest

from taskchat.agent.tools import TOOLS, ToolError, offered_tools
from taskchat.api import schemas as api_schemas
from taskchat.schemas import ReminderCreate, TaskNumber

TASK_TOOLS = {
    "add_task", "list_tasks", "search_tasks", "complete_task", "uncomplete_task", "update_task", "delete_task",
    "add_reminder", "list_reminders", "delete_reminder",
}


def test_every_task_tool_is_described_by_a_model_and_none_takes_a_user():
    assert {tool.name for tool in offered_tools()} == TASK_TOOLS
    # The rule agent's undo is a tool too, but not one a model or an MCP client may call.
    assert not TOOLS["restore_task"].offered
    assert not TOOLS["undo_completion"].offered
    for tool in TOOLS.values():
        properties = tool.parameters["properties"]
        assert tool.parameters["additionalProperties"] is False
        assert not {"user", "user_id", "email"} & set(properties), tool.name


def test_the_rest_api_and_the_tools_share_one_model():
    assert TOOLS["add_task"].arguments is api_schemas.TaskCreate
    assert TOOLS["list_tasks"].arguments is api_schemas.TaskQuery
    assert issubclass(TOOLS["update_task"].arguments, api_schemas.TaskUpdate)
    create = TOOLS["add_task"].parameters["properties"]
    rest = api_schemas.TaskCreate.model_json_schema()["properties"]
    assert create["title"]["maxLength"] == rest["title"]["maxLength"]
    assert create["priority"]["enum"] == rest["priority"]["enum"]
    assert TOOLS["delete_task"].arguments is TaskNumber
    # The reminder tools take the REST reminders body, plus the task's number.
    assert issubclass(TOOLS["add_reminder"].arguments, ReminderCreate)
    assert TOOLS["add_reminder"].parameters["properties"]["before_due_minutes"]["maximum"] == (
        ReminderCreate.model_json_schema()["properties"]["before_due_minutes"]["maximum"]
    )


def test_openai_function_description():
    schema = TOOLS["complete_task"].schema()
    assert schema["type"] == "function"
    assert schema["function"]["name"] == "complete_task"
    assert schema["function"]["parameters"]["required"] == ["number"]


@pytest.mark.parametrize(
    "name, arguments, complaint",
    [
        ("add_task", {"title": ""}, "title"),
        ("add_task", {"title": "x", "user_id": "someone-else"}, "user_id"),
        ("add_task", {"title": "x", "due_at": "tomorrow"}, "due_at"),
        ("complete_task", {"number": "two"}, "number"),
        ("complete_task", {"number": 0}, "number"),
        ("update_task", {"number": 1, "title": None}, "title"),
        ("list_tasks", {"status": "everything"}, "status"),
        ("search_tasks", {}, "query"),
        ("delete_task", ["1"], "JSON object"),
    ],
)
def test_bad_arguments_are_tool_errors(name, arguments, complaint):
    with pytest.raises(ToolError) as raised:
        TOOLS[name].validate(arguments)
    assert complaint in str(raised.value)


def test_arguments_keep_only_what_was_given():
    """The task service applies the defaults (one set for every caller), not the tool."""
    fields = TOOLS["update_task"].validate({"number": 2, "due_at": "2026-12-01T10:00:00Z"})
    assert set(fields) == {"number", "due_at"}
    assert TOOLS["add_task"].validate({"title": "x"}) == {"title": "x"}


def test_the_undo_tool_is_not_callable_by_a_model(app, auth):
    from taskchat.agent.tools import ToolContext, call_tool
    from taskchat.extensions import db
    from taskchat.models import User

    me = auth.register()
    with app.app_context():
        ctx = ToolContext(user=db.session.get(User, me.user_id))
        with pytest.raises(ToolError, match="no tool called 'restore_task'"):
            call_tool(ctx, "restore_task", {"number": 1, "title": "x"})
