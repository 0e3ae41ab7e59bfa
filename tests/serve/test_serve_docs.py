"""The curl examples of docs/serve.md, run as written (host, article URL, id, file name and token put in) against
a real server: each answers what the text says it answers."""

from __future__ import annotations

# ruff: noqa: E402  (the imports after the skip need the serve extra)
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

pytest.importorskip("starlette", reason="reader serve's extra (zh-news-reader[serve]) is not installed")

from helpers.site_server import Page, html_article, serve
from serving import running_app

from reader.narration.pipeline import NarrateOptions
from reader.serve.app import create_app
from reader.serve.jobs import Narrations, Sites, job_id

DOC = Path(__file__).resolve().parents[2] / "docs" / "serve.md"
TOKEN = "0123456789abcdef0123456789abcdef"


def curl_examples() -> list[str]:
    """The curl commands of the doc's sh blocks, continuation lines joined, in order."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        text = block.replace("\\\n", " ")
        commands += [line.split(" # ")[0].strip() for line in text.splitlines() if line.startswith("curl ")]
    return commands


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_docs_curl_examples_work_as_written(tmp_path: Path) -> None:
    commands = curl_examples()
    assert len(commands) == 8, commands
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    pages = {"/news/2024/0301.html": Page(html_article("城市公园开放", "2024-03-01", ["城市公园今天正式对市民开放。"]))}
    with serve(pages) as site, \
            Narrations(tmp_path / "library", NarrateOptions(voice="espeak"), Sites([site.url("/news/")]),
                       voices=["baker"], processes=False) as narrations, \
            running_app(create_app(narrations, token=TOKEN)) as base:
        url = site.url("/news/2024/0301.html")
        key = job_id(url)

        def run(command: str) -> tuple[int, bytes]:
            audio = narrations.catalog.get(url)
            name = quote(audio.audio) if audio is not None and audio.audio else "none"
            command = (command.replace("http://127.0.0.1:8000", base)
                       .replace("https://www.example.gov.cn/news/2024/0301.html", url)
                       .replace("kokoro-xiaoxiao", "baker")  # the other voice, as the server offers it
                       .replace("3f2a…", key).replace(quote("2024-03-01-标题.mp3"), name)
                       .replace("2024-03-01-标题.mp3", name).replace("/etc/reader/token", str(token)))
            done = subprocess.run(["bash", "-c", command + " -w '\\n%{http_code}'"], capture_output=True,
                                  cwd=tmp_path, timeout=60, check=True)
            body, _, status = done.stdout.rpartition(b"\n")
            return int(status), body

        def wait(of: str = key) -> None:
            job = narrations.job(of)
            assert job is not None and job.done.wait(120) and job.status == "done", job.error

        post, post_voice, show, chunk, voices, media, renarrate, delete = commands
        assert run(post)[0] == 202
        wait()
        status, body = run(post_voice)
        assert status == 202 and json.loads(body)["id"] == f"{key}-baker"
        wait(f"{key}-baker")
        status, body = run(show)
        assert status == 200 and json.loads(body)["status"] == "done" and json.loads(body)["voice"] == "espeak"
        assert run(chunk)[0] == 200 and (tmp_path / "first.wav").read_bytes()[:4] == b"RIFF"
        status, body = run(voices)
        assert status == 200 and [v["name"] for v in json.loads(body)["voices"]] == ["espeak", "baker"]
        assert run(media)[0] == 206
        audio = narrations.catalog.get(url)
        assert audio is not None and audio.audio is not None
        assert (tmp_path / "start.mp3").read_bytes() == (narrations.library / audio.audio).read_bytes()[:1024]
        assert run(renarrate)[0] == 202
        wait()
        assert run(delete)[0] == 204
        assert narrations.catalog.get(url) is None
