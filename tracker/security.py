"""Security headers on every response, and the client address behind trusted proxies.

A few lines of our own rather than Flask-Talisman: the tracker needs one fixed policy with no
per-view exceptions, and Talisman (last released 2023) would also redirect to HTTPS, which the
proxy in front of the tracker does, and its defaults allow what this policy forbids.
"""

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

# Scripts, styles, images and fonts from the tracker itself only: no inline script or style
# (the scorecards chart reads its data from a JSON block), no plugins, no framing, forms post
# only here. Chart.js sets element styles from script, which a CSP does not restrict.
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# The API's browsable page only (Swagger UI, from the tracker's own files): its widgets set
# inline styles. Nothing on it comes from the database.
DOCS_PATH = "/api/v1/docs"
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000"


def init_app(app: Flask) -> None:
    """Trust X-Forwarded-* from exactly TRUSTED_PROXIES proxies, and add the headers."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    https = str(app.config.get("BASE_URL", "")).startswith("https://")

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.update(HEADERS)
        if request.path == DOCS_PATH:
            response.headers["Content-Security-Policy"] = DOCS_CSP
        if https:
            response.headers["Strict-Transport-Security"] = HSTS
        # Pages and downloads may hold what only a signed-in person may see: no copy is kept
        # by the browser or a proxy. Static files (CSS, JS) may be cached.
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        response.headers.pop("Server", None)
        return response
