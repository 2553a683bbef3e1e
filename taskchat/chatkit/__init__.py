"""The ChatKit protocol, spoken synchronously: conversations as threads, messages as items.

``protocol`` holds the wire types (the ``openai-chatkit`` package's own pydantic models) and
the id scheme; ``store`` maps rows to threads and items; ``widgets`` draws task lists;
``responder`` turns one agent turn into the stream of ChatKit events.
"""
