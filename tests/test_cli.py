"""The flask CLI commands."""

from sqlalchemy import func, select

from taskchat.extensions import db
from taskchat.models import Conversation, Task, User


def test_create_user(app, runner, auth):
    result = runner.invoke(args=["create-user", "Cli@Example.com", "--password", "correct-horse-1"])
    assert result.exit_code == 0, result.output
    assert "cli@example.com" in result.output
    assert auth.login("cli@example.com", "correct-horse-1").status_code == 200


def test_create_user_refuses_duplicates_and_short_passwords(app, runner):
    assert runner.invoke(args=["create-user", "a@example.com", "--password", "correct-horse-1"]).exit_code == 0
    duplicate = runner.invoke(args=["create-user", "A@example.com", "--password", "correct-horse-1"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    short = runner.invoke(args=["create-user", "b@example.com", "--password", "short"])
    assert short.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_create_user_prompts_for_the_password(app, runner, auth):
    result = runner.invoke(args=["create-user", "p@example.com"], input="correct-horse-1\ncorrect-horse-1\n")
    assert result.exit_code == 0, result.output
    assert auth.login("p@example.com", "correct-horse-1").status_code == 200


def test_seed_demo_is_idempotent(app, runner, auth):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "already exists" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Conversation.id))) == 1
        titles = db.session.scalars(select(Task.title).order_by(Task.number)).all()
        assert titles == ["Buy groceries", "Call the dentist", "Pay rent"]
    assert auth.login("demo@example.com", "demo-password").status_code == 200
