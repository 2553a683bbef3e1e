"""``/api/v1/openapi.json``, generated from the routes and the schemas that validate them."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from flask import Response, current_app, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from ..converters import MAX_PATH_INT
from ..limits import LIMITED_ENDPOINTS
from . import bp
from .schemas import NOT_BLANK, ErrorBody

log = logging.getLogger(__name__)

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


# The JSON reader (taskchat.request_body) and the query schemas refuse NUL in every string;
# the document says so on every free-text string of a request.
_NO_NUL = "^[^\\x00]*$"
_NOT_BLANK_NO_NUL = f"^[^\\x00]*{NOT_BLANK[:-1]}\\x00][^\\x00]*$"
# What an open object (one that ignores fields it does not know) takes in those fields: any
# JSON without NUL, in keys or strings, at any depth.
_JSON_NO_NUL = "JsonWithoutNul"
_JSON_NO_NUL_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": _NO_NUL},
        {"type": ["number", "boolean", "null"]},
        {"type": "array", "items": {"$ref": f"#/components/schemas/{_JSON_NO_NUL}"}},
        {
            "type": "object",
            "propertyNames": {"pattern": _NO_NUL},
            "additionalProperties": {"$ref": f"#/components/schemas/{_JSON_NO_NUL}"},
        },
    ]
}
# A streamed answer: each Server-Sent Event (its JSON is in ``data``).
_SSE_EVENT = {
    "type": "object",
    "properties": {"data": {"type": "string"}, "event": {"type": "string"}, "id": {"type": "string"}},
    "required": ["data"],
}


def _refuse_nul(schema: Any) -> None:
    """Add "no NUL" to the pattern of every plain string schema in ``schema`` (in place), and
    to the names of the properties an open object takes (the reader refuses NUL in keys too)."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("type") == "object" and node.get("additionalProperties", True) is True:
                node["propertyNames"] = {"pattern": _NO_NUL}
                node["additionalProperties"] = {"$ref": f"#/components/schemas/{_JSON_NO_NUL}"}
            if node.get("type") == "string" and "enum" not in node and "format" not in node:
                pattern = node.get("pattern")
                if pattern is None:
                    node["pattern"] = _NO_NUL
                elif pattern == NOT_BLANK:
                    node["pattern"] = _NOT_BLANK_NO_NUL
            stack.extend(node.values())


def _require_discriminators(schemas: dict[str, Any]) -> None:
    """A discriminated union reads its tag before anything else: a member's tag field may have
    a default, but a value without it is refused, so the document requires it of each member."""
    stack: list[Any] = [schemas]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            tag = node.get("discriminator", {}).get("propertyName") if isinstance(node.get("discriminator"), dict) else None
            if tag is not None:
                for member in node.get("oneOf", []):
                    target = schemas[member["$ref"].rsplit("/", 1)[1]] if "$ref" in member else member
                    if tag not in target.setdefault("required", []):
                        target["required"].append(tag)
            stack.extend(node.values())


def _path_params(rule: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_PATH_INT}
            if conv == "int"
            else {"type": "string"},
        }
        for conv, name in _CONVERTER.findall(rule)
    ]


def _query_params(model: type[BaseModel], defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", []))
    defs.update(schema.get("$defs", {}))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


# A task created by POST /tasks is the one GET/PATCH/DELETE /tasks/{number} then address
# (schemathesis follows these links in its stateful phase).
_TASK_NUMBER = {"number": "$response.body#/number"}
LINKS = {
    "post_api_v1_tasks": {
        "GetTask": {"operationId": "get_api_v1_tasks_number", "parameters": _TASK_NUMBER},
        "UpdateTask": {"operationId": "patch_api_v1_tasks_number", "parameters": _TASK_NUMBER},
        "DeleteTask": {"operationId": "delete_api_v1_tasks_number", "parameters": _TASK_NUMBER},
    },
}


def error_statuses_of(doc: dict[str, Any]) -> set[int]:
    """Every error status a documented view can answer.

    From what the view declares, plus what the app adds around every view: 401 for a missing
    or bad token, 400/408/413/415/422 for a body (408: it did not arrive in time), 422 for a query, 404 for a path that names
    nothing, 429 where a rate limit applies, 503 when the database is unreachable.
    """
    statuses = set(doc["errors"]) | {503}
    if doc["auth"]:
        statuses.add(401)
    if doc["body"] is not None:
        statuses |= {400, 408, 413, 415, 422}
    if doc["query"] is not None:
        statuses.add(422)
    if doc.get("has_path_params"):
        statuses.add(404)
    if doc.get("endpoint") in LIMITED_ENDPOINTS:
        statuses.add(429)
    return statuses


def build_openapi(app) -> dict[str, Any]:
    """Walk the app's ``/api`` routes and describe each with its recorded schemas."""
    operations: list[tuple[str, str, dict[str, Any]]] = []
    models: set[type[BaseModel]] = {ErrorBody}
    request_models: set[str] = set()
    body_models: set[type[BaseModel]] = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        doc = getattr(view, "openapi", None)
        if doc is None:
            continue
        doc = {**doc, "endpoint": rule.endpoint, "has_path_params": "<" in rule.rule}
        for kind in ("body", "response"):
            if doc[kind] is not None:
                models.add(doc[kind])
        if doc["body"] is not None:
            body_models.add(doc["body"])
            request_models.add(doc["body"].__name__)
            request_models.update(doc["body"].model_json_schema().get("$defs", {}))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operations.append((rule.rule, method.lower(), doc))

    _, top = models_json_schema(
        [(model, "validation") for model in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = dict(top.get("$defs", {}))

    def ref(model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    paths: dict[str, Any] = {}
    for rule, method, doc in sorted(operations, key=lambda op: (op[0], op[1])):
        path = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule)
        op: dict[str, Any] = {
            "summary": doc["summary"],
            "operationId": f"{method}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
            "parameters": _path_params(rule),
            "responses": {},
        }
        if doc["query"] is not None:
            op["parameters"] += _query_params(doc["query"], schemas)
        if doc["body"] is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref(doc["body"])}},
            }
        success: dict[str, Any] = {"description": "OK"}
        if doc["response"] is not None:
            success["content"] = {"application/json": {"schema": ref(doc["response"])}}
        if doc.get("streams"):
            # A streaming request is answered with Server-Sent Events instead.
            success.setdefault("content", {"application/json": {}})["text/event-stream"] = {"schema": _SSE_EVENT}
        op["responses"][str(doc["status"])] = success
        error_statuses = error_statuses_of(doc)
        for status in sorted(error_statuses):
            op["responses"][str(status)] = {
                "description": "Error",
                "content": {"application/json": {"schema": ref(ErrorBody)}},
            }
        if doc["auth"]:
            op["security"] = [{"bearer": []}, {"cookie": []}]
        if op["operationId"] in LINKS:
            success["links"] = LINKS[op["operationId"]]
        paths.setdefault(path, {})[method] = op

    for model in body_models:
        adjust = getattr(model, "adjust_definitions", None)
        if adjust is not None:
            adjust(schemas, app.config)
    _require_discriminators(schemas)
    for name, schema in schemas.items():
        if name in request_models:
            _refuse_nul(schema)
    schemas[_JSON_NO_NUL] = _JSON_NO_NUL_SCHEMA
    for operations_of_path in paths.values():
        for op in operations_of_path.values():
            _refuse_nul([param["schema"] for param in op["parameters"] if param["in"] == "query"])

    return {
        "openapi": "3.1.0",
        "info": {"title": "taskchat", "version": "1.0.0",
                 "description": "A task manager you talk to."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "auth_token"},
            },
        },
    }


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API."""
    spec = current_app.extensions.get("taskchat_openapi")
    if spec is None:
        spec = current_app.extensions["taskchat_openapi"] = build_openapi(current_app)
    return spec


def contract_violation(response: Response) -> str | None:
    """What is wrong with ``response`` by the document: an undocumented status, or a JSON body
    that is not the documented model (``ErrorBody`` for errors); ``None`` when it conforms."""
    view = current_app.view_functions.get(request.endpoint or "")
    doc = getattr(view, "openapi", None)
    if doc is None:
        return None
    doc = {**doc, "endpoint": request.endpoint, "has_path_params": bool(request.view_args)}
    status = response.status_code
    if status != doc["status"] and status not in error_statuses_of(doc):
        return f"status {status} is not documented for {request.method} {request.url_rule}"
    if response.is_streamed or response.mimetype != "application/json":
        return None
    model = ErrorBody if status >= 400 else doc["response"] if status == doc["status"] else None
    if model is None:
        return None
    try:
        model.model_validate_json(response.get_data())
    except ValidationError as exc:
        return f"the {status} body is not a {model.__name__}: {exc}"
    return None


def check_response(response: Response) -> Response:
    """Answer 500 instead of a response that breaks the document (on in the test config)."""
    if not current_app.config.get("TASKCHAT_CHECK_RESPONSES"):
        return response
    problem = contract_violation(response)
    if problem is None:
        return response
    log.error("response breaks the OpenAPI document: %s", problem)
    body = {"error": {"code": "response_contract", "message": problem}}
    return current_app.response_class(json.dumps(body), status=500, mimetype="application/json")


bp.after_request(check_response)
