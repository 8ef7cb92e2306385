"""Long work off the request: a ``jobs`` table as the source of truth, Huey as the
queue that carries job ids, ``quanhui worker`` as the consumer."""
