"""The tasks resource, addressed by the per-user task number: parse, call the task service, respond."""

from flask_jwt_extended import current_user, jwt_required

from .. import tasks
from ..errors import APIError
from ..transactions import writing
from . import bp
from .schemas import OkResponse, TaskCreate, TaskList, TaskOut, TaskQuery, TaskUpdate
from .validation import documented, json_body, query_args


def _run(change, *args, **fields):
    """Call the task service and commit; its refusals become 404/422 answers."""
    try:
        with writing():
            return change(current_user, *args, **fields)
    except tasks.TaskNotFound as exc:
        raise APIError(404, "task_not_found", str(exc)) from exc
    except tasks.TaskQuotaReached as exc:
        raise APIError(422, "task_limit_reached", str(exc)) from exc
    except tasks.TaskError as exc:
        raise APIError(422, "invalid_fields", str(exc)) from exc


@bp.get("/tasks")
@jwt_required()
@documented(summary="List tasks", query=TaskQuery, response=TaskList, errors=(422,))
def tasks_index():
    query = query_args(TaskQuery)
    return {"tasks": [task.to_dict() for task in tasks.find(current_user, **query.model_dump())]}


@bp.post("/tasks")
@jwt_required()
@documented(summary="Create a task", body=TaskCreate, response=TaskOut, status=201, errors=(415, 422))
def tasks_create():
    return _run(tasks.add, **json_body(TaskCreate).model_dump()).to_dict(), 201


@bp.get("/tasks/<int:number>")
@jwt_required()
@documented(summary="One task", response=TaskOut, errors=(404,))
def tasks_show(number: int):
    try:
        return tasks.get(current_user, number).to_dict()
    except tasks.TaskNotFound as exc:
        raise APIError(404, "task_not_found", str(exc)) from exc


@bp.patch("/tasks/<int:number>")
@jwt_required()
@documented(summary="Change a task (any field, completed included)", body=TaskUpdate, response=TaskOut,
            errors=(404, 415, 422))
def tasks_update(number: int):
    changes = json_body(TaskUpdate).model_dump(exclude_unset=True)
    return _run(tasks.update, number, **changes).task.to_dict()


@bp.delete("/tasks/<int:number>")
@jwt_required()
@documented(summary="Delete a task", response=OkResponse, errors=(404,))
def tasks_delete(number: int):
    _run(tasks.delete, number)
    return {"ok": True}
