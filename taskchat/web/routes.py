"""Page routes."""

from . import bp


@bp.get("/")
def index():
    """Placeholder until the chat page lands."""
    return "taskchat"
