"""The web layer: the JSON API under /api/v1 (and, later, the pages). Every rule lives in `review/`."""
