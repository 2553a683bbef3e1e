"""``GET /chatkit``: the page hosting the ChatKit web component (in progress)."""
