"""The server-rendered chat pages (htmx on top, complete without JavaScript)."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from . import chatkit_page, routes  # noqa: E402,F401
