"""The task tools as an MCP server over stdio (``flask --app taskchat mcp --user EMAIL``).

It acts for one user, fixed when it starts: no tool takes a user, so a client can reach only
that user's tasks. The tools, their generated schemas and their rules are the agent's own
(``agent/tools.py``); a refusal is a tool result with ``is_error`` set, which the calling
model can read and correct, and each call commits (or rolls back) on its own.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import anyio
import mcp_types as types
from flask import Flask
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from .agent.tools import ToolContext, call_tool, offered_tools
from .extensions import db
from .models import User
from .tasks import TaskError
from .transactions import writing

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "The task list of one taskchat user. Tasks are addressed by their number. Due dates are "
    "ISO 8601 with a UTC offset. Deleting removes one task; there is no bulk deletion here."
)


def run_tool_for(app: Flask, user_id: str, name: str, arguments: Any) -> types.CallToolResult:
    """One tool call in its own transaction, answered as an MCP tool result."""
    with app.app_context():
        try:
            with writing():
                user = db.session.get(User, user_id)
                if user is None:
                    raise TaskError("The user this server acts for no longer exists.")
                output = call_tool(ToolContext(user=user, now=datetime.now(UTC)), name, arguments or {})
        except TaskError as exc:  # writing() has rolled back
            return _error(str(exc))
        except Exception as exc:  # a broken tool is answered, not a dead server
            log.exception("MCP tool %s failed", name)
            return _error(f"{name} failed: {exc.__class__.__name__}")
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(output, default=str))],
        structured_content=output,
    )


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


def build_server(app: Flask, user_id: str) -> Server:
    """The MCP server offering the task tools, acting for ``user_id``."""

    async def list_tools(_ctx, _params) -> types.ListToolsResult:
        return types.ListToolsResult(
            tools=[
                types.Tool(name=tool.name, description=tool.description, input_schema=tool.parameters)
                for tool in offered_tools()
            ]
        )

    async def call(_ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        # Blocking database work on the loop is fine: stdio serves one client, one call at a time.
        return run_tool_for(app, user_id, params.name, params.arguments)

    return Server("taskchat", instructions=INSTRUCTIONS, on_list_tools=list_tools, on_call_tool=call)


def serve_stdio(app: Flask, user_id: str) -> None:
    """Serve the task tools over this process's stdin/stdout until the client closes them."""
    server = build_server(app, user_id)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)
