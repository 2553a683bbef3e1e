"""The user's data: everything as one JSON document, and importing tasks back (JSON, CSV or
Todoist's CSV export)."""

from flask_jwt_extended import current_user, jwt_required

from .. import data_io
from . import bp
from .schemas import ExportOut
from .validation import documented


@bp.get("/export")
@jwt_required()
@documented(summary="Everything of the account: tasks with their reminders and repeat rules, "
            "conversations with their messages", response=ExportOut)
def data_export():
    return data_io.export(current_user)
