"""Client errors (404, 403, 400) answered quietly: no traceback in the server's console.

Datasette's own exception handler prints every exception with `rich` when rich is installed
(Prefect installs it), local variables included: a mistyped URL or a crawler probing for
`/wp-admin` printed ~150 lines to the console and took 0.5–1.3 s to format them. Datasette
calls every `handle_exception` hook, its own included, so a hook of ours cannot stop the
printing; the handler's module-level `rich` is what decides it. Without it Datasette still
prints a plain traceback for a real server error (a 500), and nothing for a 4xx, which is the
visitor's mistake, not ours. The 404 page itself is `templates/404.html`.
"""

from __future__ import annotations


def quiet_client_errors() -> None:
    """Turn off Datasette's rich traceback printing (4xx silent, 5xx plain traceback)."""
    import datasette.handle_exception as default_handler

    default_handler.rich = None
