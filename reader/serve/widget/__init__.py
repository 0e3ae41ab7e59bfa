"""``/widget.js``: the embeddable 语音播报 button, built from the player every page of reader shares.

``build()`` puts together, in one function (so the host page gets no global name): ``templates/player.js`` of
``reader.publish`` (``ReaderPlayer``: the listen page's and the library app's player, not a copy), the styles
(``templates/player.css`` with its ``:root`` rules made ``:host`` ones, then ``widget.css``) as a string the
script adopts into its shadow root, and ``widget.js`` (the button, the requests, the highlighting). It is
built once per process and served with an ETag.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from typing import Any

MEDIA_TYPE = "text/javascript; charset=utf-8"


def _read(package: str, *parts: str) -> str:
    path = resources.files(package)
    for part in parts:
        path = path / part
    return path.read_text(encoding="utf-8")


@functools.cache
def build() -> str:
    """The text of ``/widget.js``."""
    player = _read("reader.publish", "templates", "player.js")
    css = _read("reader.publish", "templates", "player.css").replace(":root", ":host") + "\n" + _read(
        "reader.serve.widget", "widget.css")
    script = _read("reader.serve.widget", "widget.js")
    return ("// reader 语音播报 widget: templates/player.js (the shared player), its styles, and widget.js.\n"
            f'(() => {{\n"use strict";\n{player}\nconst READER_CSS = {json.dumps(css, ensure_ascii=False)};\n'
            f"{script}}})();\n")


def widget_route() -> Any:
    """The Starlette route of ``GET /widget.js`` (304 for a current ``If-None-Match``)."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    text = build()  # here, not in the event loop
    etag = '"' + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + '"'

    async def widget(request: Request) -> Response:
        headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        return Response(text, media_type=MEDIA_TYPE, headers=headers)

    return Route("/widget.js", widget, methods=["GET"])
