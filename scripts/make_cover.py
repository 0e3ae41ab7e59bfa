"""Make ``reader/publish/cover.png``, the podcast feed's default artwork (run once, by hand; the PNG is committed).

Apple Podcasts wants square artwork of 1400–3000 pixels, PNG or JPEG, RGB: the page below is drawn at
1400 × 1400 by headless Chromium (Debian's ``chromium`` through Playwright, as the tests use it) and made an
RGB PNG without alpha by ffmpeg (``imageio-ffmpeg``'s binary). Usage: ``.venv/bin/python scripts/make_cover.py``.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from reader.audio.ffmpeg import ffmpeg_path

SIZE = 1400
OUT = Path(__file__).resolve().parent.parent / "reader" / "publish" / "cover.png"
PAGE = f"""<!doctype html><meta charset="utf-8"><style>
html, body {{ margin: 0; width: {SIZE}px; height: {SIZE}px; overflow: hidden; }}
body {{ background: #b3261e; color: #fff; font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif;
        display: flex; flex-direction: column; align-items: center; justify-content: center; }}
.bars {{ display: flex; align-items: center; gap: 34px; height: 360px; margin-bottom: 90px; }}
.bars i {{ display: block; width: 58px; background: #ffd54f; border-radius: 29px; }}
h1 {{ font-size: 270px; line-height: 1; margin: 0; letter-spacing: 20px; font-weight: 700; }}
p {{ font-size: 88px; margin: 80px 0 0; opacity: .85; letter-spacing: 12px; }}
</style><div class="bars">{"".join(f'<i style="height:{h}px"></i>' for h in (120, 230, 360, 260, 170, 310, 140))}</div>
<h1>语音播报</h1><p>新闻 · 公告 · 朗读</p>"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "shot.png"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
            tab = browser.new_page(viewport={"width": SIZE, "height": SIZE})
            tab.set_content(PAGE)
            tab.screenshot(path=str(shot))
            browser.close()
        subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-i", str(shot), "-pix_fmt", "rgb24",
                        "-compression_level", "9", str(OUT)], check=True)
    print(f"{OUT}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
