"""The user's data on the settings page: downloads (everything as JSON, the tasks as CSV) and
importing a file back."""

from __future__ import annotations

import json

from flask import current_app, flash, redirect, request, url_for
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


@bp.post("/settings/import")
@jwt_required()
def import_file():
    """Import a file from the settings form (plain multipart form): the export's JSON, the tasks
    CSV or Todoist's CSV export. The result, or the line that stopped it, is flashed on the page."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a file to import.", "error")
        return redirect(url_for("web.settings") + "#data", code=303)
    try:
        outcome = data_io.import_rows(current_user, data_io.rows_of_file(upload.read(), current_user))
    except data_io.ImportProblem as exc:
        flash(f"Nothing was imported. {exc}", "error")
        return redirect(url_for("web.settings") + "#data", code=303)
    flash(f"Imported {outcome.added} new tasks; {outcome.skipped} you already had were skipped.", "info")
    return redirect(url_for("web.settings") + "#data", code=303)
