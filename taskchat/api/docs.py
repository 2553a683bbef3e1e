"""``/api/v1/openapi.json``, generated from the routes and the schemas that validate them."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import bp
from .schemas import ErrorBody

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path_params(rule: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer"} if conv == "int" else {"type": "string"},
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


def build_openapi(app) -> dict[str, Any]:
    """Walk the app's ``/api`` routes and describe each with its recorded schemas."""
    operations: list[tuple[str, str, dict[str, Any]]] = []
    models: set[type[BaseModel]] = {ErrorBody}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        doc = getattr(view, "openapi", None)
        if doc is None:
            continue
        for kind in ("body", "response"):
            if doc[kind] is not None:
                models.add(doc[kind])
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
        op["responses"][str(doc["status"])] = success
        error_statuses = set(doc["errors"]) | ({401} if doc["auth"] else set())
        if doc["body"] is not None:
            error_statuses |= {400, 413, 415, 422}
        for status in sorted(error_statuses):
            op["responses"][str(status)] = {
                "description": "Error",
                "content": {"application/json": {"schema": ref(ErrorBody)}},
            }
        if doc["auth"]:
            op["security"] = [{"bearer": []}, {"cookie": []}]
        paths.setdefault(path, {})[method] = op

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
