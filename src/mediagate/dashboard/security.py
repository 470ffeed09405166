"""What guards the dashboard's pages: the session of a request, its CSRF token and Origin on
every state-changing request, the cookies' flags, and the security headers of every answer."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from mediagate.config import Settings
from mediagate.core.errors import ServiceError
from mediagate.dashboard import sessions
from mediagate.dashboard.sessions import Session

#: Pages load their script and style from the dashboard itself and nothing inline; results
#: (images, video, audio) come from the gateway, from an object store's presigned URLs
#: (`https:`), or from the origins of `MEDIAGATE_PUBLIC_URL` and `MEDIAGATE_S3_ENDPOINT_URL`.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src {media}; media-src {media}; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
#: The sign-in form's own token (double-submit: a cookie and a form field), before any session.
SIGN_IN_COOKIE = "mediagate_sign_in"


class SignInRequired(ServiceError):
    status_code = 401
    code = "UNAUTHORIZED"


class Forbidden(ServiceError):
    status_code = 403
    code = "FORBIDDEN"


def content_security_policy(settings: Settings) -> str:
    sources = ["'self'", "data:", "https:"]
    for url in (settings.public_url, settings.s3_endpoint_url):
        if url and url.startswith("http://"):
            sources.append(_origin(url))
    return CSP.format(media=" ".join(dict.fromkeys(sources)))


def secure_headers(response: Response, settings: Settings) -> Response:
    response.headers.update(HEADERS)
    response.headers["Content-Security-Policy"] = content_security_policy(settings)
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origins(request: Request) -> set[str]:
    """The origins this dashboard is served at: the request's own, and the public URL's."""
    origins = {_origin(str(request.base_url))}
    public = request.app.state.settings.public_url
    if public:
        origins.add(_origin(public))
    return origins


def is_https(request: Request) -> bool:
    public = request.app.state.settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def check_origin(request: Request) -> None:
    """A state-changing request must come from a page of this dashboard: its `Origin` (or,
    from a browser that sends none, its `Referer`) must be one of ours."""
    sent = request.headers.get("origin")
    if sent is None or sent == "null":
        referer = request.headers.get("referer")
        sent = _origin(referer) if referer else None
    if sent is None or sent.lower() not in own_origins(request):
        raise Forbidden("this request did not come from a page of the dashboard (Origin)")


def check_token(form: FormData, expected: str) -> None:
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("the form's security token is missing or stale; reload the page")


async def current_session(request: Request) -> Session:
    """FastAPI dependency: the request's live session, or a redirect to the sign-in page."""
    found = await sessions.find(request.app.state.db, request.cookies.get(sessions.COOKIE))
    if found is None:
        raise SignInRequired("sign in with an API key")
    return found


async def checked_form(request: Request, session: Session) -> FormData:
    """The body of a state-changing request, once its Origin and CSRF token are checked."""
    check_origin(request)
    form = await request.form()
    check_token(form, session.csrf_token)
    return form
