// The 语音播报 button of reader serve (/widget.js), for a site's article template:
//   <script src="https://tts.example.gov.cn/widget.js" defer></script>
// The server builds /widget.js as one function: templates/player.js (ReaderPlayer, the player the listen page
// and the library app share), READER_CSS (player.css and widget.css), then this script; so the host page gets
// no global name at all. Everything the widget shows lives in a shadow root (its styles cannot leak in or out);
// the styles are constructed stylesheets, so a host page with a strict CSP (no inline script or style) needs
// nothing but the script's origin in its script-src and connect-src/media-src.
//
// A click asks the server for this page's narration (POST /api/v1/narrations), shows the progress while it is
// made and plays its first chunks as soon as the server has them (the job's "stream": one small file per chunk,
// in order, played one after the other), then moves to the narration's own file at the next chunk boundary
// once it is done, and plays it with the shared player (speed, pause, ±10 s, chapters, the position remembered per
// article). While it plays, the sentence being read is highlighted in the page's own text (the CSS Custom
// Highlight API: the host's DOM is not changed) and kept in view (without motion when the reader prefers
// reduced motion); a click, or Enter on a focused paragraph, reads from there. Where the server offers more than
// one voice (reader serve --voices), a menu beside the button chooses it (remembered on this site); another
// voice is another narration, asked for at once if one was playing.
const script = document.currentScript;
if (script && !script.dataset.readerLoaded) {
  script.dataset.readerLoaded = "1";  // the script included twice: one button
  const server = new URL(script.src, window.location.href).origin;
  const api = `${server}/api/v1/narrations`;
  const SPEEDS = [0.75, 1, 1.25, 1.5, 2];
  const SKIP = 10;
  const POLL_MS = 1000;
  const POLL_FIRST_MS = 250;  // until the first chunk is heard: the wait for the first sound
  const VOICE_KEY = "reader-widget-voice";
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  const el = (tag, attrs = {}, text = "") => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    return node;
  };

  function adopt(target, css) {
    if ("adoptedStyleSheets" in Document.prototype && typeof CSSStyleSheet === "function") {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      target.adoptedStyleSheets = [...target.adoptedStyleSheets, sheet];
    } else {
      target.appendChild(el("style", {}, css));  // old browsers: an inline style (needs the CSP to allow it)
    }
  }

  const pageUrl = () => { const u = new URL(window.location.href); u.hash = ""; return u.href; };
  const title = () => document.querySelector("[data-reader-title]")
    || document.querySelector("article h1, main h1, .article h1, h1");

  function mount() {
    const heading = title();
    const host = el("div", { "data-reader-widget": "" });
    const place = document.querySelector("[data-reader-widget-here]");
    if (place) place.appendChild(host);
    else if (heading) heading.insertAdjacentElement("afterend", host);
    else document.body.prepend(host);
    const root = host.attachShadow({ mode: "open" });
    adopt(root, READER_CSS);

    const wrap = el("div", { class: "widget", lang: "zh-CN" });
    const start = el("button", { type: "button", class: "start", "aria-label": "语音播报", "aria-describedby": "status" },
      "🔊 语音播报");
    const voiceLabel = el("label", { class: "voice" }, "声音 ");
    const voiceMenu = el("select", { "aria-label": "声音" });
    voiceLabel.appendChild(voiceMenu);
    voiceLabel.hidden = true;  // until the server says it offers more than one
    const head = el("div", { class: "head" });
    head.append(start, voiceLabel);
    const progress = el("progress", { max: "1", value: "0", "aria-label": "语音准备进度" });
    progress.hidden = true;
    const box = el("div", { class: "controls", "data-skip": String(SKIP), role: "group", "aria-label": "语音播报" });
    box.hidden = true;
    const play = el("button", { type: "button", "aria-label": "播放" }, "▶ 播放");
    const back = el("button", { type: "button", "aria-label": `后退${SKIP}秒` }, `−${SKIP}秒`);
    const forward = el("button", { type: "button", "aria-label": `前进${SKIP}秒` }, `+${SKIP}秒`);
    const speedLabel = el("label", {}, "语速 ");
    const speed = el("select", { "aria-label": "语速" });
    for (const v of SPEEDS) {
      const option = el("option", { value: String(v) }, `${v}×`);
      if (v === 1) option.selected = true;
      speed.appendChild(option);
    }
    speedLabel.appendChild(speed);
    const chapters = el("select", { "aria-label": "章节" });
    chapters.hidden = true;
    const position = el("div", { class: "position" });
    const seek = el("input", { type: "range", min: "0", max: "0", step: "0.1", value: "0", "aria-label": "播放位置" });
    const time = el("span", { class: "time", "aria-hidden": "true" }, "0:00 / 0:00");
    position.append(seek, time);
    box.append(play, back, forward, speedLabel, chapters, position);
    const status = el("p", { class: "status", id: "status", role: "status", "aria-live": "polite" });
    const audio = el("audio", { preload: "metadata" });
    const preview = el("audio", { preload: "auto", class: "stream" });  // the chunks heard ahead
    wrap.append(head, progress, box, status, audio, preview);
    root.appendChild(wrap);

    let narration = null;
    const say = (message) => { status.textContent = message; };
    const highlight = Highlighter(heading);
    let stream = Streamer();
    let asked = 0;  // the request in force: a poll of an earlier one (another voice) stops

    const player = ReaderPlayer.create({
      audio, box, keyTarget: wrap,
      controls: { play, back, forward, speed, seek, time, status },
      hooks: {
        ready: () => narration !== null,
        start: ask,
        time: (t) => {
          highlight.follow(t);
          if (narration && narration.chapters.length) {
            let c = 0;
            narration.chapters.forEach((ch, i) => { if (ch.start <= t + 0.005) c = i; });
            if (chapters.selectedIndex !== c) chapters.selectedIndex = c;
          }
        },
        error: () => "无法加载音频。",
      },
    });
    chapters.addEventListener("change", () => {
      const chapter = narration && narration.chapters[chapters.selectedIndex];
      if (chapter) { player.jump(chapter.start); if (audio.paused) player.play(); }
    });

    // The stream stopped, the 语音播报 button back as it was before the first click.
    function reset() {
      stream.stop();
      start.textContent = "🔊 语音播报";
      start.setAttribute("aria-label", "语音播报");
      progress.hidden = true;
      start.disabled = false;
      start.hidden = false;
    }

    function fail(message) {
      reset();
      say(message);
    }

    // The narration is done: into the shared player, at ``at`` seconds if given (where the chunks heard
    // ahead left off), playing unless ``andPlay`` is false.
    function ready(found, at = null, andPlay = true) {
      narration = { ...found, chapters: found.chapters || [] };
      start.hidden = true;
      progress.hidden = true;
      chapters.replaceChildren(...narration.chapters.map((c) => el("option", {}, c.title)));
      chapters.hidden = narration.chapters.length < 2;
      player.show();
      if (at === null) {
        player.open(server + found.audio, found.key, found.duration, andPlay);
      } else {
        audio.addEventListener("loadedmetadata", () => { player.jump(at); if (andPlay) player.play(); }, { once: true });
        player.open(server + found.audio, found.key, found.duration, false);
      }
      highlight.load(found.sentences || [], (t) => { player.jump(t); if (audio.paused) player.play(); });
      play.focus();
    }

    // The chunks of a narration being made, played in order as the server lists them (each file whole);
    // the sentence highlight follows the chunk's text. Once the narration is done, the player takes over at
    // the end of the chunk playing (or at once, where the listener paused).
    function Streamer() {
      let chunks = [];  // {audio, text, duration, start}: start in the stream's own time
      let index = -1;  // the chunk in the preview
      let waiting = false;  // the preview reached the last chunk listed: the next one is not ready yet
      let done = null;  // the finished narration, waiting for the chunk playing to end
      let active = false;
      let held = false;  // the listener paused the stream

      function playChunk(i, offset = 0) {
        index = i;
        waiting = false;
        preview.src = server + chunks[i].audio;
        preview.playbackRate = preview.defaultPlaybackRate = Number(speed.value);
        if (offset > 0) preview.addEventListener("loadedmetadata", () => { preview.currentTime = offset; }, { once: true });
        if (held) return;
        const started = preview.play();
        if (started) started.catch(() => {});
      }

      function at(t) {  // the chunk holding stream time t
        let i = 0;
        chunks.forEach((c, k) => { if (c.start <= t + 0.005) i = k; });
        return i;
      }

      function update(list) {
        if (!list || !list.length || done) return;
        const before = chunks.length;
        for (let i = chunks.length; i < list.length; i += 1) {
          const prev = chunks[i - 1];
          chunks.push({ ...list[i], start: prev ? prev.start + prev.duration : 0 });
        }
        if (chunks.length === before) return;
        highlight.load(chunks.map((c) => ({ text: c.text, start: c.start, end: c.start + c.duration })), (t) => {
          const i = at(t);
          if (active) playChunk(i, t - chunks[i].start);
        });
        if (!active) {
          active = true;
          start.disabled = false;  // now the stream's pause and play
          label();
          playChunk(0);
        } else if (waiting) {
          playChunk(index + 1);
        }
      }

      function handOver(i, offset, andPlay) {
        active = false;
        preview.pause();
        preview.removeAttribute("src");
        const starts = done.chunk_starts || [];
        const found = done;
        if (i >= starts.length) ready(found, 0, false);  // heard to the end already
        else ready(found, starts[i] + offset, andPlay);
      }

      // The narration is done: true if the stream hands it over (now, or at the end of the chunk playing).
      function finish(found) {
        if (!active) return false;
        done = found;
        if (waiting) handOver(index + 1, 0, !held);
        else if (held || preview.paused) handOver(index, preview.currentTime, false);
        return true;
      }

      // The narration failed: the stream stops where it is.
      function stop() {
        active = false;
        preview.pause();
      }

      function label() {
        start.textContent = held ? "▶ 继续" : "❚❚ 暂停";
        start.setAttribute("aria-label", held ? "继续" : "暂停");
      }

      function toggle() {
        held = !held;
        label();
        if (held) preview.pause();
        else if (!waiting && preview.paused) { const p = preview.play(); if (p) p.catch(() => {}); }
      }

      preview.addEventListener("timeupdate", () => {
        if (active && index >= 0) highlight.follow(chunks[index].start + preview.currentTime);
      });
      preview.addEventListener("ended", () => {
        if (!active) return;
        if (done) handOver(index + 1, 0, true);
        else if (index + 1 < chunks.length) playChunk(index + 1);
        else { waiting = true; say("正在准备后面的语音…"); }
      });
      return { update, finish, stop, toggle, active: () => active };
    }

    const wait = (ms) => new Promise((resolve) => { window.setTimeout(resolve, ms); });

    async function poll(id, request) {
      for (;;) {
        await wait(stream.active() ? POLL_MS : POLL_FIRST_MS);
        if (request !== asked) return;
        let answer;
        try {
          answer = await fetch(`${api}/${encodeURIComponent(id)}`);
        } catch (e) {
          continue;  // the network blinked: ask again
        }
        const body = await answer.json().catch(() => ({}));
        if (request !== asked) return;
        if (!answer.ok) { fail(body.error ? `语音播报失败：${body.error}` : "语音播报失败。"); return; }
        if (body.status === "done") { if (!stream.finish(body)) ready(body); return; }
        if (body.status === "failed") { fail(`语音播报失败：${body.error || ""}`); return; }
        stream.update(body.stream);
        progress.value = body.progress || 0;
        const percent = Math.round(100 * (body.progress || 0));
        if (body.status === "queued") say("排队中，请稍候…");
        else if (stream.active()) say(`正在播放开头，其余部分准备中 ${percent}%`);
        else say(`正在准备语音 ${percent}%`);
      }
    }

    async function ask() {
      const request = ++asked;
      start.disabled = true;
      progress.hidden = false;
      progress.removeAttribute("value");  // indeterminate until the server says how far it is
      say("正在请求语音…");
      let answer;
      try {
        // A "simple" request (text/plain: no preflight), so that a page of a site this server does not serve
        // still reads its 403 and says why; the server answers JSON bodies whatever their type says.
        answer = await fetch(api, {
          method: "POST", headers: { "Content-Type": "text/plain;charset=UTF-8" },
          body: JSON.stringify(voiceLabel.hidden ? { url: pageUrl() } : { url: pageUrl(), voice: voiceMenu.value }),
        });
      } catch (e) {
        if (request === asked) fail("无法连接语音播报服务。");
        return;
      }
      const body = await answer.json().catch(() => ({}));
      if (request !== asked) return;
      if (answer.status === 403) { fail("本页不在语音播报服务的范围内。"); return; }
      if (answer.status === 429) {
        fail(`语音播报服务繁忙，请${answer.headers.get("Retry-After") || 30}秒后再试。`);
        return;
      }
      if (!answer.ok) { fail(body.error ? `语音播报失败：${body.error}` : "语音播报失败。"); return; }
      if (body.status === "done") ready(body);
      else poll(body.id, request);
    }

    start.addEventListener("click", () => { if (stream.active()) stream.toggle(); else ask(); });

    // The voices the server offers: a menu only when there is a choice (the default first, as it lists them).
    fetch(`${server}/api/v1/voices`).then((r) => (r.ok ? r.json() : null)).then((offered) => {
      const voices = offered && Array.isArray(offered.voices) ? offered.voices : [];
      if (voices.length < 2) return;
      for (const v of voices) voiceMenu.appendChild(el("option", { value: String(v.name) }, String(v.label || v.name)));
      const saved = ReaderPlayer.recall(VOICE_KEY);
      voiceMenu.value = voices.some((v) => v.name === saved) ? saved : String(offered.voice || voices[0].name);
      voiceLabel.hidden = false;
    }).catch(() => {});  // an older server, or a page it does not serve: the default voice
    voiceMenu.addEventListener("change", () => {
      ReaderPlayer.remember(VOICE_KEY, voiceMenu.value);
      if (!narration && !stream.active() && !start.disabled) return;  // nothing asked yet: the next click asks
      // Another voice is another narration: this one stops (its poll too) and that one is asked for.
      reset();
      stream = Streamer();
      audio.pause();
      narration = null;
      box.hidden = true;
      ask();
    });
  }

  // The sentences of the narration found in the page's own text, highlighted as they are read.
  function Highlighter(heading) {
    const supported = typeof Highlight === "function" && window.CSS && CSS.highlights;
    let spans = [];  // {start, end, range}, in the track's order
    let current = -1;
    let scope = null;
    let styled = false;  // the highlight's one rule, added to the page once
    let seek = null;  // what a click on a paragraph does (the stream's, then the player's)
    const bound = new WeakSet();  // paragraphs listened to (once, whatever is loaded later)

    // The page's text without white space, and where each of its characters is.
    function textOf(container) {
      const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT, {
        acceptNode: (n) => (n.parentElement && n.parentElement.closest("script, style, noscript, [data-reader-widget]")
          ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
      });
      let flat = "";
      const where = [];
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.nodeValue;
        for (let i = 0; i < text.length; i += 1) {
          if (!/\s/.test(text[i])) { flat += text[i]; where.push([node, i]); }
        }
      }
      return { flat, where };
    }

    function load(sentences, seekTo) {
      if (!supported) return;
      seek = seekTo;
      current = -1;
      scope = (heading && heading.closest("article, main, .article")) || document.body;
      const { flat, where } = textOf(scope);
      let from = 0;
      spans = [];
      for (const s of sentences) {
        const needle = s.text.replace(/\s+/g, "");
        if (!needle) continue;
        const at = flat.indexOf(needle, from);
        if (at < 0) continue;  // said but not on the page (the header's source and date line)
        const range = new Range();
        const [startNode, startOffset] = where[at];
        const [endNode, endOffset] = where[at + needle.length - 1];
        range.setStart(startNode, startOffset);
        range.setEnd(endNode, endOffset + 1);
        spans.push({ start: s.start, end: s.end, range });
        from = at + needle.length;
      }
      if (!styled) adopt(document, "::highlight(reader-sentence) { background-color: #ffe58f; color: #1b1b1b; }");
      styled = true;
      // A click on a paragraph (not on a link in it), or Enter on it, reads from its first sentence there.
      const paragraphs = new Set(spans.map((s) => s.range.startContainer.parentElement.closest("p, li, h1, h2, h3, div")));
      for (const p of paragraphs) {
        if (!p || p === scope || bound.has(p)) continue;
        bound.add(p);
        if (!p.hasAttribute("tabindex")) p.setAttribute("tabindex", "0");
        const first = () => spans.find((s) => p.contains(s.range.startContainer));
        p.addEventListener("click", (event) => {
          if (event.target.closest("a") || String(window.getSelection() || "")) return;
          const s = first();
          if (s) seek(s.start);
        });
        p.addEventListener("keydown", (event) => {
          if (event.key !== "Enter" || event.target !== p) return;
          const s = first();
          if (s) { event.preventDefault(); seek(s.start); }
        });
      }
    }

    function follow(t) {
      if (!spans.length) return;
      let i = -1;
      for (let lo = 0, hi = spans.length - 1; lo <= hi;) {
        const mid = (lo + hi) >> 1;
        if (spans[mid].start <= t + 0.005) { i = mid; lo = mid + 1; } else { hi = mid - 1; }
      }
      if (i === current) return;
      current = i;
      if (i < 0) { CSS.highlights.delete("reader-sentence"); return; }
      CSS.highlights.set("reader-sentence", new Highlight(spans[i].range));
      const box = spans[i].range.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) {
        window.scrollBy({ top: box.top - window.innerHeight / 3, behavior: reducedMotion ? "auto" : "smooth" });
      }
    }

    return { load, follow, spans: () => spans.length };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
}
