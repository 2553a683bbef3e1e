"""The server-rendered chat pages (htmx on top, complete without JavaScript)."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from . import routes  # noqa: E402,F401
