"""``POST /api/v1/chat``: one turn, answered as JSON in the seed's shape."""

from flask_jwt_extended import current_user, jwt_required

from ..agent import Reply, process_request
from ..services import check_message
from . import bp
from .schemas import ChatRequest, ChatResponse
from .validation import documented, json_body


def chat_payload(reply: Reply) -> dict:
    return {
        "response": reply.response,
        "conversation_id": reply.conversation_id,
        "metadata": {
            "intent": reply.intent,
            "tool_called": reply.tool_called,
            "tool_calls": [call.to_dict() for call in reply.tool_calls],
            "execution_time_ms": reply.execution_time_ms,
            "choices": [choice.to_dict() for choice in reply.choices],
        },
    }


@bp.post("/chat")
@jwt_required()
@documented(summary="Send a message to the task assistant", body=ChatRequest, response=ChatResponse,
            errors=(404, 413, 415, 422))
def chat():
    """Run one chat turn and answer with the reply and what the agent did."""
    data = json_body(ChatRequest)
    return chat_payload(process_request(current_user.id, check_message(data.message), data.conversation_id))
