"""``flask --app taskchat`` commands."""

import click
from flask.cli import with_appcontext

from .agent import process_request
from .services import EmailTaken, create_user


@click.command("create-user")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 10 characters, not a common password.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone name.")
@with_appcontext
def create_user_command(email: str, password: str, timezone: str) -> None:
    """Create a user who can sign in with EMAIL and the password."""
    from pydantic import ValidationError

    from .schemas import RegisterRequest

    try:
        data = RegisterRequest(email=email, password=password, timezone=timezone)
        user = create_user(data.email, data.password, data.timezone)
    except ValidationError as exc:
        raise click.ClickException("; ".join(e["msg"] for e in exc.errors())) from exc
    except EmailTaken as exc:
        raise click.ClickException("An account with this email already exists.") from exc
    click.echo(f"Created user {user.email} ({user.id}).")


DEMO_MESSAGES = (
    "Add a task to buy groceries",
    "Add a task to call the dentist",
    "Add a task to pay rent",
    "Show me all my tasks",
    "Mark task 1 as complete",
)


@click.command("seed-demo")
@click.option("--email", default="demo@example.com", show_default=True)
@click.option("--password", default="demo-password", show_default=True)
@with_appcontext
def seed_demo_command(email: str, password: str) -> None:
    """Create a demo user with a conversation and a few tasks (safe to run twice)."""
    from .models import User

    user = User.by_email(email)
    if user is not None:
        click.echo(f"Demo user {email} already exists.")
        return
    user = create_user(email, password)
    conversation_id = None
    for message in DEMO_MESSAGES:
        conversation_id = process_request(user.id, message, conversation_id).conversation_id
    click.echo(f"Created demo user {email} (password: {password}) with {len(DEMO_MESSAGES)} turns.")


@click.command("mcp")
@click.option("--user", "email", required=True, help="The email of the user the tools act for.")
@with_appcontext
def mcp_command(email: str) -> None:
    """Serve the task tools to an MCP client over stdio, acting for one user."""
    import logging
    import sys

    from flask import current_app

    from .models import User

    try:
        from .mcp_server import serve_stdio
    except ImportError as exc:  # the mcp package comes with the llm extra
        raise click.ClickException("The mcp package is missing: pip install -e '.[llm]'.") from exc

    user = User.by_email(email)
    if user is None:
        raise click.ClickException(f"There is no user {email}.")
    # stdout carries the protocol: the app's log goes to stderr instead.
    for handler in logging.getLogger("taskchat").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
    serve_stdio(current_app._get_current_object(), user.id)


@click.command("deliver-reminders")
@click.option("--queue", is_flag=True, help="Hand the sweep to the job queue's consumer instead of running it here.")
@with_appcontext
def deliver_reminders_command(queue: bool) -> None:
    """Deliver every reminder that is due now (what the job engine does every minute)."""
    if queue:
        from .jobs import deliver_now

        deliver_now()
        click.echo("Queued.")
        return
    from .delivery import deliver_due

    done = deliver_due()
    click.echo(f"Delivered {done.notices} notices, {done.emails} emails; {done.retries} to retry, {done.failed} failed.")
