"""Bearer-token check for writes (SPARQL Update, Graph Store Protocol).

Why a separate module: one place that compares tokens in constant time (`hmac.compare_digest`)
and never logs or echoes them.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response


def check_write_token(request: Request, token: str | None) -> Response | None:
    """None if the request carries the right bearer token, else the 401/403 response to send."""
    if not token:
        return PlainTextResponse(
            "Writes are not enabled on this server (read-only). / Schreibzugriffe sind nicht aktiviert.\n",
            status_code=403,
        )
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return PlainTextResponse(
            "This operation needs a bearer token (Authorization: Bearer …). / "
            "Dieser Vorgang braucht ein Bearer-Token.\n",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="hilfenetz"'},
        )
    if not hmac.compare_digest(value.strip().encode(), token.encode()):
        return PlainTextResponse(
            "The bearer token is not valid for writes. / Das Token berechtigt nicht zum Schreiben.\n",
            status_code=403,
        )
    return None
