"""``POST /api/v1/chatkit``: the ChatKit protocol and the seed's format (in progress)."""
