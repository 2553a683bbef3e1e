"""Dictation: ChatKit's ``input.transcribe`` forwarded to the language-model server's
speech-to-text endpoint (``/audio/transcriptions`` of the OpenAI-compatible API).

Offered only when a model server is configured (``TASKCHAT_LLM_BASE_URL``): without one the
host page's composer has no microphone and the request is refused as not supported. The audio
comes base64 in the JSON body, so the body limit bounds it; nothing is stored.
"""

from __future__ import annotations

import base64
import binascii
import logging

from flask import current_app

from .protocol import ck

log = logging.getLogger(__name__)

DEFAULT_MODEL = "whisper-1"
# The container formats a browser records in, as the server wants them named.
EXTENSIONS = {"audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "mp4", "audio/mpeg": "mp3", "audio/wav": "wav"}


class TranscriptionError(ValueError):
    """The audio could not be transcribed: ``status`` and ``code`` of the JSON answer."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code


def available() -> bool:
    """Whether dictation is offered: a model server is configured."""
    return bool(current_app.config.get("TASKCHAT_LLM_BASE_URL"))


def transcribe(params: ck.InputTranscribeParams) -> ck.TranscriptionResult:
    """The text of the audio in ``params``, from the model server."""
    media_type = params.mime_type.split(";", 1)[0].strip().lower()
    extension = EXTENSIONS.get(media_type)
    if extension is None:
        raise TranscriptionError(
            422, "invalid_fields", f"Audio must be one of {', '.join(sorted(EXTENSIONS))}."
        )
    try:
        audio = base64.b64decode(params.audio_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TranscriptionError(422, "invalid_fields", "audio_base64 is not base64.") from exc
    if not audio:
        raise TranscriptionError(422, "invalid_fields", "There is no audio to transcribe.")

    import openai

    from ..agent.llm import client

    model = current_app.config.get("TASKCHAT_TRANSCRIBE_MODEL") or DEFAULT_MODEL
    try:
        result = client().audio.transcriptions.create(
            model=model, file=(f"dictation.{extension}", audio, media_type)
        )
    except openai.OpenAIError as exc:
        log.warning("transcription failed: %s", exc)
        raise TranscriptionError(
            503, "transcription_unavailable", "The speech-to-text service is unavailable; type the message instead."
        ) from exc
    return ck.TranscriptionResult(text=(getattr(result, "text", "") or "").strip())
