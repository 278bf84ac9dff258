"""A request body limit enforced before anything parses the body (413 with a JSON message)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """Refuse bodies over `max_bytes`: at once when Content-Length says so, else while reading.

    The body is buffered up to the limit and replayed to the application, so a handler never sees a
    truncated body and a client that lies about Content-Length still cannot send more.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        """JSON for the API; for a page, a short page in both languages (no language is known yet)."""
        if str(scope.get("path", "")).startswith("/api/"):
            detail = f"the request body is larger than the limit of {self.max_bytes} bytes"
            payload, media = json.dumps({"detail": detail, "code": "body_too_large"}).encode(), b"application/json"
        else:
            payload, media = _page(self.max_bytes), b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", media),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _page(limit: int) -> bytes:
    megabytes = f"{limit / 1024 / 1024:.0f}"
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>413</title>'
        '<link rel="stylesheet" href="/static/app.css"></head><body><main>'
        f"<h1>提交的内容过大</h1><p>一次提交不能超过 {megabytes} MB。请缩短正文后返回重试。</p>"
        f'<h1 lang="en">The form is too large</h1><p lang="en">A form may send at most {megabytes} MB. '
        "Shorten the text, go back and try again.</p>"
        "</main></body></html>"
    ).encode()
