"""The server-rendered chat pages (htmx on top, complete without JavaScript)."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from . import account_pages, auth_pages, chatkit_page, conversation_pages, data_pages, formatting, notices, page_security, routes, task_panel  # noqa: E402,F401,I001
