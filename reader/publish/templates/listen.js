// The listen page's script (after player.js, in the same inline <script>): highlight the sentence being
// read, seek by sentence and chapter, large text; the player itself (clock, speed, skip, the position
// remembered per article, the keys space, ←/→, +/-) is ReaderPlayer's. Static: it reads everything from
// the page (data-start/data-end on each sentence), so no article text is ever interpolated into a script.
// The keys are the terminal player's (reader play): n/p chapter; and here also ,/. sentence and a large
// text. Nothing is highlighted until the listener starts or moves the player.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const audio = $("audio");
  const controls = $("controls");
  const bar = $("player");
  const large = $("large");
  const restart = Number(controls.dataset.restart) || 3;
  const byStart = (a, b) => a.start - b.start;
  const sentences = Array.from(document.querySelectorAll(".s"), (el) => ({
    el, start: Number(el.dataset.start), end: Number(el.dataset.end),
  })).sort(byStart);
  const chapters = Array.from(document.querySelectorAll(".chap"), (el) => ({
    el, start: Number(el.dataset.start),
  })).sort(byStart);
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  let current = -1;
  let currentChapter = -1;
  let started = false;  // played or moved: before that the title is not highlighted as if being read

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
    const top = bar.getBoundingClientRect().bottom;
    const room = window.innerHeight - top;
    const want = top + Math.max(0, (room - box.height) / 2);
    window.scrollBy({ top: box.top - want, behavior: smooth && !reducedMotion ? "smooth" : "auto" });
  }

  function keepInView(el) {
    const box = el.getBoundingClientRect();
    const top = bar.getBoundingClientRect().bottom;
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

  // The highlight follows the player's position.
  function follow(t) {
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
      // The status names the chapter playing, not the one clicked last: reading on into the next says so.
      if (c >= 0 && currentChapter >= 0 && !audio.paused) player.announce(chapters[c].el.textContent.trim());
      currentChapter = c;
    }
    if (i !== focusable) rove(i);
  }

  // Sentences are reached by keyboard as by mouse: one of them (the one being read, else the first) is in
  // the tab order; Enter or space on it reads from there, and ,/. move the focus with the highlight.
  let focusable = -1;
  function rove(i) {
    const next = Math.max(i, 0);
    if (!sentences.length || next === focusable) return;
    const hadFocus = focusable >= 0 && document.activeElement === sentences[focusable].el;
    if (focusable >= 0) sentences[focusable].el.tabIndex = -1;
    sentences[next].el.tabIndex = 0;
    focusable = next;
    if (hadFocus) sentences[next].el.focus({ preventScroll: true });
  }
  sentences.forEach((s) => { s.el.tabIndex = -1; });

  const player = ReaderPlayer.create({
    audio,
    box: controls,
    key: audio.dataset.key,
    duration: Number(audio.dataset.duration) || 0,
    hooks: {
      moved: () => { started = true; },
      time: follow,
      error: () => "无法加载音频文件：它应与本页放在同一文件夹中。",
      keys: {
        n: () => stepChapter(1),
        p: () => stepChapter(-1),
        N: () => stepChapter(1),
        P: () => stepChapter(-1),
        ".": () => stepSentence(1),
        ",": () => stepSentence(-1),
        a: () => setLarge(large.getAttribute("aria-pressed") !== "true"),
      },
    },
  });

  function jump(t, andPlay) {
    player.jump(t);
    if (andPlay && audio.paused) player.play();
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
    player.announce(chapters[target].el.textContent.trim());
  }

  // The sentence the listener is looking at: the one being read, or else the first one on screen.
  function anchor() {
    if (current >= 0) return sentences[current].el;
    const top = bar.getBoundingClientRect().bottom;
    const seen = sentences.find((s) => s.el.getBoundingClientRect().bottom > top);
    return seen ? seen.el : null;
  }

  function setLarge(on) {
    const keep = anchor();
    const wasVisible = keep && keep.getBoundingClientRect().top < window.innerHeight;
    document.documentElement.classList.toggle("large", on);
    large.setAttribute("aria-pressed", String(on));
    ReaderPlayer.remember("reader-large", on ? "1" : "0");
    // Larger text moves everything down the page: bring the sentence back (at once, not smoothly).
    if (keep && (current >= 0 || wasVisible)) bringIntoView(keep, false);
  }

  player.show();
  $("keys").hidden = false;
  large.addEventListener("click", () => setLarge(large.getAttribute("aria-pressed") !== "true"));

  // Clicking a sentence or a chapter reads from there (unless the reader is selecting text to copy).
  $("article").addEventListener("click", (event) => {
    const chapter = event.target.closest(".chap");
    if (chapter) {
      event.preventDefault();
      jump(Number(chapter.dataset.start), true);
      player.announce(chapter.textContent.trim());
      return;
    }
    const sentence = event.target.closest(".s");
    if (sentence && !String(window.getSelection() || "")) jump(Number(sentence.dataset.start), true);
  });

  $("article").addEventListener("keydown", (event) => {
    const sentence = event.target instanceof Element ? event.target.closest(".s") : null;
    if (!sentence || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    event.stopPropagation();  // not the player's space (play/pause): read from this sentence
    jump(Number(sentence.dataset.start), true);
  });

  // Large text, remembered across articles
  if (ReaderPlayer.recall("reader-large") === "1") setLarge(true);
  rove(-1);
  player.update();
})();
