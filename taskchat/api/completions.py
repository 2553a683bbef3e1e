"""The seed / OpenAI chat-completions dialect (in progress)."""
