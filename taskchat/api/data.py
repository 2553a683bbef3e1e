"""The user's data: everything as one JSON document, and importing tasks back (the export's
JSON, the tasks CSV, or Todoist's CSV export)."""

from flask import request
from flask_jwt_extended import current_user, jwt_required

from .. import data_io
from ..errors import APIError
from . import bp
from .schemas import ExportOut, ImportDocument, ImportResult
from .validation import documented, json_body


@bp.get("/export")
@jwt_required()
@documented(summary="Everything of the account: tasks with their reminders and repeat rules, "
            "conversations with their messages", response=ExportOut)
def data_export():
    return data_io.export(current_user)


def _rows():
    if request.mimetype == "text/csv":
        try:
            text = request.get_data().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise APIError(422, "invalid_file", "The file is not UTF-8 text.") from exc
        if "\x00" in text:
            raise APIError(422, "invalid_file", "The file holds a NUL character; it is not text.")
        return data_io.rows_of_csv(text, current_user)
    if not request.is_json:
        raise APIError(415, "unsupported_media_type", "Send the file as application/json or text/csv.")
    return data_io.rows_of_json(json_body(ImportDocument))


@bp.post("/import")
@jwt_required()
@documented(summary="Import tasks: an export document (application/json), the tasks CSV or Todoist's CSV "
            "export (text/csv); tasks the account holds already (same title, due, description) are skipped; "
            "a bad line is a 422 naming it, and nothing is imported", body=ImportDocument,
            response=ImportResult, errors=(415, 422))
def data_import():
    try:
        outcome = data_io.import_rows(current_user, _rows())
    except data_io.ImportProblem as exc:
        raise APIError(422, "invalid_file", str(exc), [exc.detail()]) from exc
    return {"added": outcome.added, "skipped": outcome.skipped}
