"""Which renderer makes each local model's output, and with what parameters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediagate.media import render_glb, render_image, render_music, render_speech, render_video
from mediagate.media.render.control import ProgressFn, StopFn

Render = Callable[[Path, ProgressFn, StopFn], None]
_IMAGE_EXT = {"png": "png", "jpeg": "jpg", "webp": "webp"}


@dataclass(frozen=True)
class RenderPlan:
    extension: str  # of the output file: png, jpg, webp, mp4, wav, mp3, glb
    run: Render
    render_seconds: float  # the least time the job should take (to watch its states)

    @property
    def output_name(self) -> str:
        return f"output.{self.extension}"


def plan_render(model_id: str, params: Mapping[str, Any]) -> RenderPlan:
    """The render of a validated input (a dict of the model's input fields, defaults filled).

    Raises KeyError for a model this provider does not serve.
    """
    prompt = params["prompt"]
    pace = float(params.get("render_seconds", 0.0))
    if model_id == "local-image":
        fmt = params["format"]

        def image(path: Path, progress: ProgressFn, stop: StopFn) -> None:
            render_image(path, prompt=prompt, width=params["width"], height=params["height"],
                         fmt=fmt, progress=progress, should_stop=stop)  # fmt: skip

        return RenderPlan(_IMAGE_EXT[fmt], image, pace)
    if model_id == "local-video":

        def video(path: Path, progress: ProgressFn, stop: StopFn) -> None:
            render_video(path, prompt=prompt, duration=params["duration"],
                         width=params["width"], height=params["height"], fps=params["fps"],
                         progress=progress, should_stop=stop)  # fmt: skip

        return RenderPlan("mp4", video, pace)
    if model_id in ("local-audio", "local-music"):
        render_audio = render_speech if model_id == "local-audio" else render_music
        fmt = params["format"]

        def audio(path: Path, progress: ProgressFn, stop: StopFn) -> None:
            render_audio(path, prompt=prompt, duration=params["duration"], fmt=fmt,
                         progress=progress, should_stop=stop)  # fmt: skip

        return RenderPlan(fmt, audio, pace)
    if model_id == "local-3d":

        def model3d(path: Path, progress: ProgressFn, stop: StopFn) -> None:
            render_glb(path, prompt=prompt, progress=progress, should_stop=stop)

        return RenderPlan("glb", model3d, pace)
    raise KeyError(model_id)
