"""The production server of `tracker serve`: Waitress, in this one process.

Waitress rather than gunicorn: it is pure Python and serves with threads in a single process on
any system, so the embedded scheduler started beside it runs exactly once, and `./dev run` stays
one command; gunicorn forks workers (each would need its own scheduler or none) and does not run
on Windows. Several processes for a dealer group still run gunicorn (README, "Deploying").
"""

import click
from flask import Flask

THREADS = 8


def serve(app: Flask, host: str, port: int, threads: int = THREADS) -> None:
    """Serve the app until interrupted, without a Server header naming the server."""
    from waitress import serve as waitress_serve

    click.echo(f"Serving the tracker on http://{host}:{port} (Waitress, {threads} threads)")
    # X-Forwarded-* are read only by ProxyFix, for TRACKER_TRUSTED_PROXIES proxies
    # (tracker.security): Waitress passes them on untouched.
    waitress_serve(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="",
        clear_untrusted_proxy_headers=False,
    )
