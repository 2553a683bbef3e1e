"""The JSON API at ``/api/v1``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import account, auth, chat, chatkit, completions, conversations, data, docs, reminders, tasks  # noqa: E402,F401
