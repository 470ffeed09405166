"""Pages from the Jinja2 templates (autoescaped: task prompts and metadata are hostile input),
with the dashboard's security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from mediagate import __version__
from mediagate.dashboard.security import secure_headers
from mediagate.dashboard.sessions import Session

TEMPLATES = Path(__file__).parent / "templates"


def _pretty(value: Any) -> str:
    """A JSON value as indented text (for an input or metadata value that is not a string)."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def _when(iso: str | None) -> str:
    return iso.replace("T", " ").replace("Z", " UTC") if iso else "—"


def _money(value: float | int | None) -> str:
    return "—" if value is None else f"{value:,.6f}".rstrip("0").rstrip(".")


def _query(params: dict[str, Any], **changes: Any) -> str:
    """`?a=1&b=2` of `params` with `changes` (None removes a parameter)."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return "?" + urlencode(merged) if merged else ""


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(pretty=_pretty, when=_when, money=_money)
_env.globals.update(query=_query, version=__version__)


def page(
    request: Request,
    template: str,
    session: Session | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    html = _env.get_template(template).render(
        request=request, session=session, path=request.url.path, **context
    )
    return secure_headers(HTMLResponse(html, status_code=status_code), request.app.state.settings)


def redirect(request: Request, url: str) -> Response:
    """After a form: see the result with a GET (303), so a reload never repeats the POST."""
    return secure_headers(RedirectResponse(url, status_code=303), request.app.state.settings)
