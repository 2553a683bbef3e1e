"""The tasks resource, addressed by the per-user task number."""

from datetime import UTC, datetime

from flask_jwt_extended import current_user, jwt_required

from ..agent.tools import (
    TaskNotFound,
    TaskQuotaReached,
    ToolContext,
    ToolError,
    add_task,
    delete_task,
    get_task,
    list_tasks,
    update_task,
)
from ..errors import APIError
from ..transactions import writing
from . import bp
from .schemas import OkResponse, TaskCreate, TaskList, TaskOut, TaskQuery, TaskUpdate
from .validation import documented, json_body, query_args


def _context() -> ToolContext:
    return ToolContext(user=current_user, now=datetime.now(UTC))


def _run(tool, **arguments):
    """Call a task tool and commit; its refusals become 404/422 answers."""
    try:
        with writing():
            return tool(_context(), **arguments)
    except TaskNotFound as exc:
        raise APIError(404, "task_not_found", str(exc)) from exc
    except TaskQuotaReached as exc:
        raise APIError(422, "task_limit_reached", str(exc)) from exc
    except ToolError as exc:
        raise APIError(422, "invalid_fields", str(exc)) from exc


@bp.get("/tasks")
@jwt_required()
@documented(summary="List tasks", query=TaskQuery, response=TaskList, errors=(422,))
def tasks_index():
    query = query_args(TaskQuery)
    return {"tasks": list_tasks(_context(), **query.model_dump())["tasks"]}


@bp.post("/tasks")
@jwt_required()
@documented(summary="Create a task", body=TaskCreate, response=TaskOut, status=201, errors=(415, 422))
def tasks_create():
    data = json_body(TaskCreate)
    fields = data.model_dump()
    fields["due_at"] = data.due_at.isoformat() if data.due_at else None
    fields["due_has_time"] = bool(data.due_at) and data.due_has_time
    return _run(add_task, **fields), 201


@bp.get("/tasks/<int:number>")
@jwt_required()
@documented(summary="One task", response=TaskOut, errors=(404,))
def tasks_show(number: int):
    try:
        return get_task(_context(), number).to_dict()
    except TaskNotFound as exc:
        raise APIError(404, "task_not_found", str(exc)) from exc


@bp.patch("/tasks/<int:number>")
@jwt_required()
@documented(summary="Change a task (any field, completed included)", body=TaskUpdate, response=TaskOut,
            errors=(404, 415, 422))
def tasks_update(number: int):
    data = json_body(TaskUpdate)
    changes = data.model_dump(exclude_unset=True)
    if "due_at" in changes:
        changes["due_at"] = data.due_at.isoformat() if data.due_at else None
        changes.setdefault("due_has_time", bool(data.due_at))
    result = _run(update_task, number=number, **changes)
    result.pop("changed", None)
    return result


@bp.delete("/tasks/<int:number>")
@jwt_required()
@documented(summary="Delete a task", response=OkResponse, errors=(404,))
def tasks_delete(number: int):
    _run(delete_task, number=number)
    return {"ok": True}
