"""The files simulated jobs deliver: rendered once by the `local` renderers (small, with the
requested aspect, format and duration), served from signed URLs that expire like the real
provider's do."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from mediagate.media import (
    MIME_TYPES,
    render_glb,
    render_image,
    render_music,
    render_speech,
    render_video,
)
from mediagate.simulator.jobs import Output, SimJob

#: Longest side of simulated images and videos: real shapes, small files, quick renders.
MAX_SIDE = 320


def scaled(width: int, height: int, longest: int = MAX_SIDE) -> tuple[int, int]:
    """`width`x`height` scaled down to fit `longest`, even-sized (H.264 needs even sides)."""
    scale = min(1.0, longest / max(width, height, 1))
    return max(16, int(width * scale) // 2 * 2), max(16, int(height * scale) // 2 * 2)


def _render(output: Output, path: Path, prompt: str) -> None:
    tmp = path.with_name(path.name + f".{secrets.token_hex(4)}.part")
    if output.kind == "image":
        render_image(tmp, prompt=prompt, width=output.width, height=output.height,
                     fmt=output.fmt)  # fmt: skip
    elif output.kind == "video":
        render_video(tmp, prompt=prompt, duration=output.duration, width=output.width,
                     height=output.height, fps=8, soundtrack=output.audio)  # fmt: skip
    elif output.kind in ("audio", "music"):
        render = render_speech if output.kind == "audio" else render_music
        render(tmp, prompt=prompt, duration=output.duration, fmt=output.fmt)
    elif output.kind == "model3d":
        render_glb(tmp, prompt=prompt)
    else:  # pragma: no cover - provider modules only make the kinds above
        raise ValueError(output.kind)
    tmp.replace(path)  # atomic: a concurrent reader sees the whole file or none


class Outputs:
    def __init__(self, root: Path, secret: bytes | None = None) -> None:
        self.root = root
        self.secret = secret or secrets.token_bytes(32)
        self._locks: dict[str, asyncio.Lock] = {}

    def _file(self, job: SimJob, index: int) -> Path:
        ext = "jpg" if job.outputs[index].fmt == "jpeg" else job.outputs[index].fmt
        return self.root / job.provider / job.id / f"{index}.{ext}"

    async def ensure(self, job: SimJob) -> list[Path]:
        """Render the job's files (once) and return their paths."""
        paths = []
        for index, output in enumerate(job.outputs):
            path = self._file(job, index)
            if not path.exists():
                # One render per file; the lock is dropped once the file exists (renders land
                # atomically, so a late waiter finds the file and renders nothing).
                lock = self._locks.setdefault(str(path), asyncio.Lock())
                async with lock:
                    if not path.exists():
                        path.parent.mkdir(parents=True, exist_ok=True)
                        await asyncio.to_thread(_render, output, path, job.prompt)
                self._locks.pop(str(path), None)
            paths.append(path)
        return paths

    def _signature(self, name: str, expires: int) -> str:
        return hmac.new(self.secret, f"{name}\n{expires}".encode(), hashlib.sha256).hexdigest()

    async def urls(self, request: Request, job: SimJob, ttl_s: float) -> list[str]:
        """Signed URLs of the job's files, valid for `ttl_s` seconds."""
        paths = await self.ensure(job)
        expires = int(time.time() + ttl_s)
        base = _base_url(request)
        urls = []
        for path in paths:
            name = path.relative_to(self.root).as_posix()
            query = urlencode({"expires": expires, "sig": self._signature(name, expires)})
            urls.append(f"{base}/sim-files/{name}?{query}")
        return urls

    async def serve(self, request: Request) -> Response:
        """GET /sim-files/{name}: the file, or 403 once the URL expired or was tampered with."""
        name = request.path_params["name"]
        expires_raw = request.query_params.get("expires", "")
        sig = request.query_params.get("sig", "")
        if not expires_raw.isdigit() or not hmac.compare_digest(
            sig, self._signature(name, int(expires_raw))
        ):
            return _denied("Request has invalid signature")
        if int(expires_raw) < time.time():
            return _denied("Request has expired")
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_file():
            return JSONResponse({"Code": "NoSuchKey"}, status_code=404)
        return FileResponse(path, media_type=MIME_TYPES.get(path.suffix.lstrip(".")))


def _base_url(request: Request) -> str:
    """The simulator's URL as the client reached it. A `Host` header without a port for this
    server's own address means this server's port (the tripo3d SDK's built-in HTTP client
    leaves the port out)."""
    url = request.base_url
    server = request.scope.get("server")
    default = 443 if url.scheme == "https" else 80
    if url.port is None and server and url.hostname == server[0] and server[1] != default:
        url = url.replace(port=server[1])
    return str(url).rstrip("/")


def _denied(message: str) -> Response:
    body = (
        f"<?xml version='1.0'?><Error><Code>AccessDenied</Code><Message>{message}</Message></Error>"
    )
    return Response(body, status_code=403, media_type="application/xml")
