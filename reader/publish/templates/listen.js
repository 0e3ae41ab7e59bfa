// The listen page's player: highlight the sentence being read, seek by sentence and chapter, keyboard,
// speed, large text, and the position remembered per article. Static: it reads everything from the page
// (data-start/data-end on each sentence), so no article text is ever interpolated into a script.
// The keys are the terminal player's (reader play): space, ←/→, n/p chapter, +/- speed; and here also
// ,/. sentence and a large text. Nothing is highlighted until the listener starts or moves the player.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const audio = $("audio");
  const controls = $("controls");
  const player = $("player");
  const playButton = $("play");
  const speed = $("speed");
  const large = $("large");
  const seek = $("seek");
  const time = $("time");
  const status = $("status");
  const skip = Number(controls.dataset.skip) || 10;
  const restart = Number(controls.dataset.restart) || 3;
  const key = audio.dataset.key;
  const byStart = (a, b) => a.start - b.start;
  const sentences = Array.from(document.querySelectorAll(".s"), (el) => ({
    el, start: Number(el.dataset.start), end: Number(el.dataset.end),
  })).sort(byStart);
  const chapters = Array.from(document.querySelectorAll(".chap"), (el) => ({
    el, start: Number(el.dataset.start),
  })).sort(byStart);
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const store = (() => {
    try {  // file:// pages and private modes may refuse storage: then nothing is remembered
      window.localStorage.setItem("reader-probe", "1");
      window.localStorage.removeItem("reader-probe");
      return window.localStorage;
    } catch (e) {
      return null;
    }
  })();
  const remember = (k, v) => { try { if (store) store.setItem(k, v); } catch (e) { /* full or refused */ } };
  const recall = (k) => (store ? store.getItem(k) : null);

  let current = -1;
  let currentChapter = -1;
  let userSeeked = false;
  let lastSaved = 0;
  let started = false;  // played or moved: before that the title is not highlighted as if being read

  // The custom controls replace the browser's own (which stay for anyone without scripts).
  audio.removeAttribute("controls");
  audio.hidden = true;
  controls.hidden = false;
  $("keys").hidden = false;

  const duration = () => (Number.isFinite(audio.duration) && audio.duration > 0
    ? audio.duration : Number(audio.dataset.duration) || 0);

  function clock(t) {
    const s = Math.max(0, Math.floor(t));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
  }

  // The last item starting at or before t (binary search; items sorted by start). -1 before the first.
  function lastAtOrBefore(items, t) {
    let lo = 0;
    let hi = items.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid].start <= t + 0.005) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  // Scroll so that el sits in the middle of what the sticky player leaves of the window (at its top if
  // it is taller than that).
  function bringIntoView(el, smooth) {
    const box = el.getBoundingClientRect();
    const top = player.getBoundingClientRect().bottom;
    const room = window.innerHeight - top;
    const want = top + Math.max(0, (room - box.height) / 2);
    window.scrollBy({ top: box.top - want, behavior: smooth && !reducedMotion ? "smooth" : "auto" });
  }

  function keepInView(el) {
    const box = el.getBoundingClientRect();
    const top = player.getBoundingClientRect().bottom;
    if (box.top < top || box.bottom > window.innerHeight) bringIntoView(el, true);
  }

  function mark(items, from, to) {
    if (from >= 0) {
      items[from].el.classList.remove("current");
      items[from].el.removeAttribute("aria-current");
    }
    if (to >= 0) {
      items[to].el.classList.add("current");
      items[to].el.setAttribute("aria-current", "true");
    }
  }

  function update() {
    const t = audio.currentTime;
    if (t > 0) started = true;
    const i = started ? lastAtOrBefore(sentences, t) : -1;
    if (i !== current) {
      mark(sentences, current, i);
      current = i;
      if (i >= 0) keepInView(sentences[i].el);
    }
    const c = started ? lastAtOrBefore(chapters, t) : -1;
    if (c !== currentChapter) {
      mark(chapters, currentChapter, c);
      currentChapter = c;
    }
    const total = duration();
    seek.max = total.toFixed(3);
    seek.value = t.toFixed(3);
    const text = `${clock(t)} / ${clock(total)}`;
    time.textContent = text;
    seek.setAttribute("aria-valuetext", text);
  }

  function tick() {
    update();
    if (!audio.paused) window.requestAnimationFrame(tick);
  }

  function announce(message) {
    status.textContent = message;
  }

  function play() {
    const started = audio.play();
    if (started) started.catch((err) => announce(`无法播放：${err.message}`));
  }

  function toggle() {
    if (audio.paused) play(); else audio.pause();
  }

  function jump(t, andPlay) {
    userSeeked = true;
    started = true;
    audio.currentTime = Math.min(Math.max(0, t), duration());
    update();
    if (andPlay && audio.paused) play();
  }

  function stepSentence(delta) {
    if (!sentences.length) return;
    let i = lastAtOrBefore(sentences, audio.currentTime);
    if (delta < 0 && i >= 0 && audio.currentTime - sentences[i].start > 1.5) i += 1;  // p: restart this one
    const target = Math.min(Math.max(i + delta, 0), sentences.length - 1);
    jump(sentences[target].start, false);
  }

  function stepChapter(delta) {
    if (!chapters.length) return;
    let i = lastAtOrBefore(chapters, audio.currentTime);
    // As in the terminal player: "previous" more than a few seconds into a chapter restarts it.
    if (delta < 0 && i >= 0 && audio.currentTime - chapters[i].start > restart) i += 1;
    const target = Math.min(Math.max(i + delta, 0), chapters.length - 1);
    jump(chapters[target].start, false);
    announce(chapters[target].el.textContent.trim());
  }

  function setSpeed(value) {
    const options = Array.from(speed.options, (o) => Number(o.value));
    if (!options.includes(value)) return;
    speed.value = String(value);
    audio.playbackRate = value;
    audio.defaultPlaybackRate = value;
    remember("reader-speed", String(value));
  }

  function stepSpeed(delta) {
    const options = Array.from(speed.options, (o) => Number(o.value));
    const i = options.indexOf(Number(speed.value));
    setSpeed(options[Math.min(Math.max(i + delta, 0), options.length - 1)]);
    announce(`语速 ${speed.value}×`);
  }

  // The sentence the listener is looking at: the one being read, or else the first one on screen.
  function anchor() {
    if (current >= 0) return sentences[current].el;
    const top = player.getBoundingClientRect().bottom;
    const seen = sentences.find((s) => s.el.getBoundingClientRect().bottom > top);
    return seen ? seen.el : null;
  }

  function setLarge(on) {
    const keep = anchor();
    const wasVisible = keep && keep.getBoundingClientRect().top < window.innerHeight;
    document.documentElement.classList.toggle("large", on);
    large.setAttribute("aria-pressed", String(on));
    remember("reader-large", on ? "1" : "0");
    // Larger text moves everything down the page: bring the sentence back (at once, not smoothly).
    if (keep && (current >= 0 || wasVisible)) bringIntoView(keep, false);
  }

  function savePosition() {
    if (audio.ended) {
      try { if (store) store.removeItem(key); } catch (e) { /* refused */ }
    } else {
      remember(key, audio.currentTime.toFixed(1));
    }
    lastSaved = audio.currentTime;
  }

  function showPlaying() {
    const playing = !audio.paused;
    playButton.textContent = playing ? "❚❚ 暂停" : "▶ 播放";
    playButton.setAttribute("aria-label", playing ? "暂停" : "播放");
  }

  // Player events
  audio.addEventListener("play", () => { showPlaying(); window.requestAnimationFrame(tick); });
  audio.addEventListener("pause", () => { showPlaying(); savePosition(); update(); });
  audio.addEventListener("ended", () => { showPlaying(); savePosition(); });
  audio.addEventListener("seeked", () => { update(); savePosition(); });
  audio.addEventListener("timeupdate", () => {
    update();
    if (Math.abs(audio.currentTime - lastSaved) >= 2) savePosition();
  });
  audio.addEventListener("loadedmetadata", () => {
    const saved = Number(recall(key));
    if (!userSeeked && saved > 1 && saved < duration() - 1) {
      audio.currentTime = saved;
      announce(`从上次的位置继续：${clock(saved)}`);
    }
    update();
  });
  audio.addEventListener("error", () => announce("无法加载音频文件：它应与本页放在同一文件夹中。"));
  window.addEventListener("pagehide", savePosition);

  // Buttons
  playButton.addEventListener("click", toggle);
  $("back").addEventListener("click", () => jump(audio.currentTime - skip, false));
  $("forward").addEventListener("click", () => jump(audio.currentTime + skip, false));
  speed.addEventListener("change", () => setSpeed(Number(speed.value)));
  large.addEventListener("click", () => setLarge(large.getAttribute("aria-pressed") !== "true"));
  seek.addEventListener("input", () => jump(Number(seek.value), false));

  // Clicking a sentence or a chapter reads from there (unless the reader is selecting text to copy).
  $("article").addEventListener("click", (event) => {
    const chapter = event.target.closest(".chap");
    if (chapter) {
      event.preventDefault();
      jump(Number(chapter.dataset.start), true);
      announce(chapter.textContent.trim());
      return;
    }
    const sentence = event.target.closest(".s");
    if (sentence && !String(window.getSelection() || "")) jump(Number(sentence.dataset.start), true);
  });

  // Keyboard, as the terminal player: space, arrows, n/p (chapter), +/- (speed); and ,/. (sentence),
  // a (large text). N/P (chapter) too.
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    const target = event.target instanceof Element ? event.target : document.body;
    const typing = target.closest("input, select, textarea, [contenteditable]");
    const native = typing || target.closest("button, a, summary");
    const actions = {
      " ": native ? null : toggle,
      ArrowLeft: typing ? null : () => jump(audio.currentTime - skip, false),
      ArrowRight: typing ? null : () => jump(audio.currentTime + skip, false),
      n: typing ? null : () => stepChapter(1),
      p: typing ? null : () => stepChapter(-1),
      ".": typing ? null : () => stepSentence(1),
      ",": typing ? null : () => stepSentence(-1),
      N: typing ? null : () => stepChapter(1),
      P: typing ? null : () => stepChapter(-1),
      "+": typing ? null : () => stepSpeed(1),
      "=": typing ? null : () => stepSpeed(1),
      "-": typing ? null : () => stepSpeed(-1),
      a: typing ? null : () => setLarge(large.getAttribute("aria-pressed") !== "true"),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  // Preferences remembered across articles
  const savedSpeed = Number(recall("reader-speed"));
  if (savedSpeed) setSpeed(savedSpeed);
  if (recall("reader-large") === "1") setLarge(true);
  update();
})();
