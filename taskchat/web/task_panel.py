"""The task panel: its fragment (htmx reloads it on ``tasks-changed``) and the tick box."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_jwt_extended import current_user, jwt_required

from .. import tasks
from ..transactions import writing
from . import bp
from .page_data import task_panel
from .page_security import flash_in_place, is_htmx, safe_next


@bp.get("/tasks/panel")
@jwt_required()
def panel():
    """The task panel alone, for htmx to swap in after a change."""
    return render_template("_task_panel.html", panel=task_panel(current_user))


@bp.post("/tasks/<int:number>/status")
@jwt_required()
def set_status(number: int):
    """Complete or reopen one of the user's tasks.

    The no-JS button says ``set=done|open``; htmx posts the tick box on change, so then the
    box decides: ``completed`` present means done.
    """
    wanted = request.form.get("set")
    done = wanted == "done" if wanted in ("done", "open") else bool(request.form.get("completed"))
    try:
        with writing():
            tasks.set_completed(current_user, number, done)
    except tasks.TaskNotFound:
        if is_htmx():
            # Beside the panel, where the tick was; app.js un-ticks the box.
            return flash_in_place("There is no such task.", 404, target="#panel-error")
        abort(404, "There is no such task.")
    if is_htmx():
        return "", 204, {"HX-Trigger": "tasks-changed"}
    return redirect(safe_next(request.form.get("next"), url_for("web.index")), code=303)
