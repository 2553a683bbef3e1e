"""Dictation: ``input.transcribe`` forwarded to the model server's ``/audio/transcriptions``
(the fake OpenAI-compatible server on loopback), offered only when one is configured."""

from __future__ import annotations

import base64
import json
import re
import warnings

import pytest
import requests
from pydantic import TypeAdapter

from tests.helpers.app import gunicorn_server
from tests.helpers.chatkit import REQUEST, dumps, register_over_http
from tests.helpers.fake_openai import MODEL, FakeOpenAI

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from chatkit.types import TranscriptionResult

RESULT = TypeAdapter(TranscriptionResult)
AUDIO = b"\x1aE\xdf\xa3 not really webm, but bytes all the same"


def transcribe(audio: bytes = AUDIO, mime: str = "audio/webm;codecs=opus") -> dict:
    body = {"type": "input.transcribe",
            "params": {"audio_base64": base64.b64encode(audio).decode(), "mime_type": mime}}
    REQUEST.validate_python(body)
    return body


@pytest.fixture
def speech(app):
    fake = FakeOpenAI()
    app.config.update(TASKCHAT_LLM_BASE_URL=fake.url, TASKCHAT_LLM_MODEL=MODEL, OPENAI_API_KEY="sk-test",
                      TASKCHAT_LLM_TIMEOUT_SECONDS=2.0)
    yield fake
    fake.close()


def page_config(client) -> dict:
    html = client.get("/chatkit").get_data(as_text=True)
    return json.loads(re.search(r'id="chatkit-config">(.*?)</script>', html).group(1))


def test_audio_is_forwarded_and_its_text_answered(client, auth, chatkit, speech):
    response = chatkit.post(transcribe())
    assert response.status_code == 200, response.get_data(as_text=True)
    assert RESULT.validate_json(response.get_data()).text == "add buy milk tomorrow"
    [sent] = speech.transcriptions
    assert sent["content_type"].startswith("multipart/form-data")
    assert AUDIO in sent["body"] and b'name="model"' in sent["body"] and b"whisper-1" in sent["body"]
    assert b'filename="dictation.webm"' in sent["body"]
    assert speech.requests == []  # no chat turn: dictation only fills the composer
    assert page_config(client)["dictation"] is True


@pytest.mark.parametrize(
    ("body", "code"),
    [(transcribe(mime="video/x-msvideo"), "invalid_fields"), (transcribe(b""), "invalid_fields"),
     ({"type": "input.transcribe", "params": {"audio_base64": "not base64!", "mime_type": "audio/webm"}},
      "invalid_fields")],
    ids=["mime", "empty", "base64"],
)
def test_bad_audio_is_422_and_never_sent(chatkit, speech, body, code):
    response = chatkit.post(body)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == code
    assert speech.transcriptions == []


def test_a_failing_server_is_503(chatkit, speech):
    speech.transcription_status = 500
    response = chatkit.post(transcribe())
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "transcription_unavailable"


def test_without_a_model_server_dictation_is_not_offered(client, auth, chatkit):
    response = chatkit.post(transcribe())
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "not_supported"
    assert page_config(client)["dictation"] is False


@pytest.mark.live
def test_dictation_over_http_under_gunicorn(database_url, _schema, tmp_path_factory):
    fake = FakeOpenAI()
    fake.transcript = "mark task 1 as complete"
    try:
        with gunicorn_server(database_url, tmp_path_factory.mktemp("speech"),
                             TASKCHAT_LLM_BASE_URL=fake.url, TASKCHAT_LLM_MODEL=MODEL) as server:
            account = register_over_http(server.url)
            response = requests.post(server.url + "/api/v1/chatkit", data=dumps(transcribe()), timeout=30,
                                     headers={"Authorization": f"Bearer {account.token}",
                                              "Content-Type": "application/json"})
            assert response.status_code == 200, response.text
            assert RESULT.validate_json(response.content).text == "mark task 1 as complete"
            assert AUDIO in fake.transcriptions[0]["body"]
    finally:
        fake.close()
