"""Reading request bodies and query strings through the pydantic schemas.

``documented`` records a view's schemas so the OpenAPI document is built from the very
schemas that validate requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from ..errors import APIError, validation_details

M = TypeVar("M", bound=BaseModel)


def json_object() -> dict[str, Any]:
    """The request's body as a JSON object, or the matching 415 / 400 / 422."""
    if not request.is_json:
        raise APIError(415, "unsupported_media_type", "Send the body as application/json.")
    data = request.get_json(silent=True)
    if data is None:
        raise APIError(400, "malformed_json", "The request body is not valid JSON.")
    if not isinstance(data, dict):
        raise APIError(422, "invalid_fields", "The request body must be a JSON object.")
    return data


def json_body(schema: type[M]) -> M:
    """The request's JSON body validated as ``schema``: 415, 400 or 422 otherwise."""
    data = json_object()
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise APIError(422, "invalid_fields", "Some fields are invalid.", validation_details(exc)) from exc


def query_args(schema: type[M]) -> M:
    try:
        return schema.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise APIError(422, "invalid_fields", "Some query parameters are invalid.", validation_details(exc)) from exc


def documented(
    *,
    summary: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    auth: bool = True,
    errors: tuple[int, ...] = (),
    streams: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Record what the OpenAPI document says of the view; ``streams``: it may answer
    ``text/event-stream`` (a streaming request) beside the JSON ``response``."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view.openapi = {  # type: ignore[attr-defined]
            "summary": summary,
            "body": body,
            "query": query,
            "response": response,
            "status": status,
            "auth": auth,
            "errors": errors,
            "streams": streams,
        }
        return view

    return mark
