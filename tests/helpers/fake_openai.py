"""A fake OpenAI-compatible chat-completions server: a real HTTP server on loopback.

Each ``POST /v1/chat/completions`` takes the next step of a script and answers it the way
OpenAI streams (``chat.completion.chunk`` frames over SSE, then ``[DONE]``), or fails the way a
server does (HTTP 5xx, silence until the client times out). Every request body is kept, and
whether the client hung up before the stream ended.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "fake-gpt"


@dataclass
class Step:
    """One scripted answer: text deltas, tool calls (name, raw JSON arguments), or a failure."""

    text: list[str] = field(default_factory=list)
    tool_calls: list[tuple[str, str]] = field(default_factory=list)
    status: int = 200
    silence: float = 0.0  # seconds before answering anything (a hung server)
    pause: float = 0.0  # seconds between chunks (a slow model; lets a client cancel mid-stream)
    usage: tuple[int, int] = (30, 7)

    def chunks(self) -> list[dict[str, Any]]:
        frames: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        frames += [{"content": piece} for piece in self.text]
        for index, (name, arguments) in enumerate(self.tool_calls):
            frames.append(
                {"tool_calls": [{"index": index, "id": f"call_{index}_{name}", "type": "function",
                                 "function": {"name": name, "arguments": ""}}]}
            )
            # Arguments arrive in pieces, as real servers send them.
            for start in range(0, len(arguments), 8):
                frames.append({"tool_calls": [{"index": index, "function": {"arguments": arguments[start:start + 8]}}]})
        finish = "tool_calls" if self.tool_calls else "stop"
        chunks = [_chunk([{"index": 0, "delta": delta, "finish_reason": None}]) for delta in frames]
        chunks.append(_chunk([{"index": 0, "delta": {}, "finish_reason": finish}]))
        prompt, completion = self.usage
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        chunks.append({**_chunk([]), "usage": usage})
        return chunks


def _chunk(choices: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1764300000, "model": MODEL,
            "choices": choices}


class FakeOpenAI:
    """The server and its script; ``requests`` holds the JSON bodies received, in order."""

    def __init__(self) -> None:
        self.script: list[Step] = []
        self.requests: list[dict[str, Any]] = []
        self.hung_up = threading.Event()
        self.sent_frames: list[str] = []
        # Speech to text: what ``/audio/transcriptions`` answers, and the requests it received.
        self.transcript = "add buy milk tomorrow"
        self.transcription_status = 200
        self.transcriptions: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: Any) -> None:  # keep the test output quiet
                pass

            def do_POST(self) -> None:
                if self.path.endswith("/audio/transcriptions"):
                    self.transcribe()
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                step = fake.script.pop(0) if fake.script else Step(text=["(script ended)"])
                time.sleep(step.silence)
                if step.status != 200:
                    payload = json.dumps({"error": {"message": "scripted failure", "type": "server_error"}}).encode()
                    self.send_response(step.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    for chunk in step.chunks():
                        frame = f"data: {json.dumps(chunk)}\n\n"
                        self.wfile.write(frame.encode())
                        self.wfile.flush()
                        fake.sent_frames.append(frame)
                        time.sleep(step.pause)
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    fake.hung_up.set()

            def transcribe(self) -> None:
                """``POST /v1/audio/transcriptions`` (multipart, as the ``openai`` client sends it):
                kept as received, answered ``{"text": fake.transcript}`` or the scripted status."""
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                fake.transcriptions.append({"content_type": self.headers["Content-Type"], "body": raw})
                status = fake.transcription_status
                payload = json.dumps(
                    {"text": fake.transcript} if status == 200
                    else {"error": {"message": "scripted failure", "type": "server_error"}}
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        """Forget earlier requests and frames (a server shared by several tests)."""
        self.script.clear()
        self.requests.clear()
        self.sent_frames.clear()
        self.hung_up.clear()

    def add(self, *steps: Step) -> None:
        self.script.extend(steps)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
