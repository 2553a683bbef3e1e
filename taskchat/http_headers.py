"""Headers every answer carries, the API's and static files' as well as the pages'.

- ``X-Content-Type-Options: nosniff``: a browser takes the stated type (a JSON error or a
  user's text is never run as a script or rendered as HTML because it looks like one).
- ``Referrer-Policy: same-origin``: addresses, which hold conversation ids, stay on the site.
- ``Strict-Transport-Security`` in production, on answers sent over https (directly or, behind a
  trusted proxy, ``X-Forwarded-Proto: https``): browsers then never try plain http again for
  ``TASKCHAT_HSTS_SECONDS``. Not over plain http, where the header means nothing and would only
  mislead, and not in development, where pinning ``localhost`` to https would break other apps.
"""

from __future__ import annotations

from flask import Flask, request


def register_security_headers(app: Flask) -> None:
    """Add the headers above to every response of ``app``."""
    hsts_seconds = app.config["TASKCHAT_HSTS_SECONDS"]
    hsts = hsts_seconds > 0 and app.config["ENV_NAME"] == "production"

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if hsts and request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts_seconds}")
        return response
