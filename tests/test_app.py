"""The factory, configuration, health probes and the OpenAPI document."""

import pytest
from sqlalchemy import select

from taskchat import create_app
from taskchat.api.schemas import MAX_MESSAGE_CHARS, TaskCreate


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok"}


def test_readyz_is_503_without_a_database(tmp_path):
    app = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"


def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_sets_secure_cookies(monkeypatch):
    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "s" * 40,
            "JWT_SECRET_KEY": "j" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )
    assert app.config["JWT_COOKIE_SECURE"] is True


def test_development_secret_is_generated_once(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)

    def make():
        from taskchat.config import instance_secret

        return instance_secret(str(tmp_path))

    first, second = make(), make()
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_openapi_is_built_from_the_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    chat = spec["paths"]["/api/v1/chat"]["post"]
    assert chat["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ChatRequest")
    schemas = spec["components"]["schemas"]
    assert schemas["ChatRequest"]["properties"]["message"]["maxLength"] == MAX_MESSAGE_CHARS
    assert set(schemas["TaskCreate"]["required"]) == {
        name for name, field in TaskCreate.model_fields.items() if field.is_required()
    }
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/tasks"])
    assert {"get", "patch", "delete"} <= set(spec["paths"]["/api/v1/tasks/{number}"])
    assert "401" in chat["responses"] and "422" in chat["responses"]
    # every documented $ref resolves
    import json

    text = json.dumps(spec)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in schemas, ref


def test_database_error_is_503_json(app, client, auth):
    account = auth.register()
    from taskchat.extensions import db

    with app.app_context():
        assert db.session.execute(select(1)).scalar() == 1
    bad = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = bad.test_client().get("/api/v1/tasks", headers=account.headers)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"


def test_cors_only_for_configured_origins(database_url, _schema):
    plain = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url}).test_client()
    response = plain.options("/api/v1/chat", headers={"Origin": "https://app.example.com",
                                                      "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in response.headers

    allowed = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "CORS_ORIGINS": ["https://app.example.com"]}
    ).test_client()
    response = allowed.options("/api/v1/chat", headers={"Origin": "https://app.example.com",
                                                        "Access-Control-Request-Method": "POST"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    other = allowed.options("/api/v1/chat", headers={"Origin": "https://evil.example.com",
                                                     "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_environment_is_read_when_the_app_is_created(monkeypatch, database_url, _schema):
    monkeypatch.setenv("TASKCHAT_STREAM_DELAY_MS", "50")
    monkeypatch.setenv("JWT_ACCESS_TOKEN_EXPIRES", "60")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["TASKCHAT_STREAM_DELAY_MS"] == 50
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds() == 60
    assert app.config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
