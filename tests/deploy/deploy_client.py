"""What the multi-host test does from inside a host's network namespace: run as
`ip netns exec NS python deploy_client.py COMMAND < args.json`; prints its answer as one JSON
line (the last line of standard output).

Commands: `ready` (wait for URLs to answer), `bucket` (create an S3 bucket), `create` (tasks
through given API hosts), `stream` (an account's event stream on one API host), `wait` (tasks
until final, read through every API host in turn), `download` (results from their signed URLs,
decoded), `submits` (the simulator's accepted submits per prompt).
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sse_support import messages

FINAL = {"succeeded", "failed", "cancelled", "expired"}


def _client(api: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def ready(args: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + args.get("timeout", 60)
    waited = {}
    for url in args["urls"]:
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not answer")
            time.sleep(0.1)
        waited[url] = True
    return waited


def bucket(args: dict[str, Any]) -> dict[str, Any]:
    import boto3

    s3 = boto3.session.Session().client(
        "s3",
        endpoint_url=args["endpoint"],
        region_name="us-east-1",
        aws_access_key_id="deploy",
        aws_secret_access_key="deploy-secret",
    )
    s3.create_bucket(Bucket=args["bucket"])
    return {"bucket": args["bucket"]}


def create(args: dict[str, Any]) -> list[dict[str, Any]]:
    made = []
    for spec in args["tasks"]:
        body = {
            "type": spec["type"],
            "model": spec["model"],
            "input": {"prompt": spec["prompt"], **spec.get("input", {})},
        }
        with _client(spec["api"], args["key"]) as http:
            response = http.post("/api/v1/tasks", json=body)
        if response.status_code != 202:
            raise SystemExit(f"create via {spec['api']}: {response.status_code} {response.text}")
        made.append({"id": response.json()["data"]["id"], **spec})
    return made


def stream(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Prints `open` once the stream answered, then reads until `count` events came."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + args.get("timeout", 60)
    params = {"types": args["types"]} if args.get("types") else None
    with (
        _client(args["api"], args["key"]) as http,
        http.stream("GET", "/api/v1/events/stream", params=params, timeout=5) as response,
    ):
        if response.status_code != 200:
            raise SystemExit(f"stream: {response.status_code} {response.read()!r}")
        print("open", flush=True)
        try:
            for message in messages(response):
                task = message.json["data"]
                got.append(
                    {
                        "event": message.event,
                        "id": message.id,
                        "task_id": task["id"],
                        "status": task["status"],
                    }
                )
                if len(got) >= args["count"] or time.monotonic() > deadline:
                    break
        except httpx.ReadTimeout:  # silence past the heartbeats: report what came
            pass
    return got


def wait(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Each task once final, read through the API hosts in turn (each answers for tasks
    created through the other)."""
    apis = args["apis"]
    clients = [_client(api, args["key"]) for api in apis]
    deadline = time.monotonic() + args.get("timeout", 90)
    done: dict[str, dict[str, Any]] = {}
    turn = 0
    while len(done) < len(args["ids"]):
        for task_id in args["ids"]:
            if task_id in done:
                continue
            http = clients[turn % len(clients)]
            turn += 1
            task = http.get(f"/api/v1/tasks/{task_id}").json()["data"]
            if task["status"] in FINAL:
                done[task_id] = {**task, "read_through": str(http.base_url).rstrip("/")}
        if time.monotonic() > deadline:
            late = [t for t in args["ids"] if t not in done]
            raise SystemExit(f"not final after {args.get('timeout', 90)} s: {late}")
        time.sleep(0.2)
    for http in clients:
        http.close()
    return [done[task_id] for task_id in args["ids"]]


def _decode(content: bytes, fmt: str) -> dict[str, Any]:
    if fmt in ("png", "jpeg", "jpg", "webp"):
        from PIL import Image

        with Image.open(io.BytesIO(content)) as image:
            image.load()
            return {"kind": "image", "width": image.width, "height": image.height}
    if fmt == "mp4":
        import av

        with av.open(io.BytesIO(content)) as container:
            frames = sum(1 for _ in container.decode(video=0))
            audio = len(container.streams.audio)
        return {"kind": "video", "frames": frames, "audio_streams": audio}
    raise SystemExit(f"no decoder for {fmt}")


def download(args: dict[str, Any]) -> list[dict[str, Any]]:
    files = []
    for task in args["tasks"]:
        for item in task["result"]:
            response = httpx.get(item["url"], timeout=30)
            entry = {"task_id": task["id"], "url_host": httpx.URL(item["url"]).host,
                     "status": response.status_code, "format": item["format"]}  # fmt: skip
            if response.status_code == 200:
                entry["size_ok"] = len(response.content) == item["size_bytes"]
                entry["decoded"] = _decode(response.content, item["format"])
            if item.get("thumbnail_url"):
                thumb = httpx.get(item["thumbnail_url"], timeout=30)
                entry["thumbnail"] = (
                    _decode(thumb.content, "webp") if thumb.status_code == 200 else None
                )
            files.append(entry)
    return files


def submits(args: dict[str, Any]) -> dict[str, int]:
    """Accepted submits (answered 200) per prompt, from the simulator's request log."""
    log = httpx.get(f"{args['sim']}/_sim/requests", timeout=30).json()
    accepted = Counter(
        r["key"] for r in log if r["action"] == "submit" and r["status"] == 200 and r["job"]
    )
    return {prompt: accepted[prompt] for prompt in args["prompts"]}


COMMANDS = {
    "ready": ready,
    "bucket": bucket,
    "create": create,
    "stream": stream,
    "wait": wait,
    "download": download,
    "submits": submits,
}

if __name__ == "__main__":
    answer = COMMANDS[sys.argv[1]](json.load(sys.stdin))
    print(json.dumps(answer), flush=True)
