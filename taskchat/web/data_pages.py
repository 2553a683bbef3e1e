"""Downloads of the user's data from the settings page: everything as JSON, the tasks as CSV."""

from __future__ import annotations

import json

from flask import current_app
from flask_jwt_extended import current_user, jwt_required

from .. import data_io
from . import bp


def _download(body: str, mimetype: str, filename: str):
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/export.json")
@jwt_required()
def export_json():
    """The same document as ``GET /api/v1/export``, as a file to keep."""
    return _download(json.dumps(data_io.export(current_user), ensure_ascii=False, indent=1),
                     "application/json", "taskchat-export.json")


@bp.get("/export/tasks.csv")
@jwt_required()
def export_csv():
    """The tasks as CSV (one row each), for a spreadsheet or another task tool."""
    return _download(data_io.tasks_csv(current_user), "text/csv", "taskchat-tasks.csv")
