// The library's player: one <audio> for the whole library (two articles never play over each other),
// continuous play from one article to the next, search and filters, and "continue where you stopped" with
// the positions the listen pages remember (the same localStorage keys). Static: it reads everything from
// the page's data- attributes, so no article text is ever interpolated into a script.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const items = Array.from(document.querySelectorAll(".item"));
  if (!items.length) return;
  const audio = $("audio");
  const player = $("player");
  const playButton = $("play");
  const speed = $("speed");
  const seek = $("seek");
  const time = $("time");
  const status = $("status");
  const continuous = $("continuous");
  const filters = { q: $("q"), site: $("site"), from: $("from"), to: $("to") };
  const skip = 10;
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
  const forget = (k) => { try { if (store) store.removeItem(k); } catch (e) { /* refused */ } };

  let current = null;  // the <li> of the article in the player
  let startAt = 0;  // where to start it once its metadata is in
  let lastSaved = 0;

  player.hidden = false;
  $("filters").hidden = false;
  items.forEach((li) => { li.querySelector(".listen").hidden = false; });

  function clock(t) {
    const s = Math.max(0, Math.floor(t));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
  }

  const announce = (message) => { status.textContent = message; };
  const duration = () => (Number.isFinite(audio.duration) && audio.duration > 0
    ? audio.duration : (current ? Number(current.dataset.duration) : 0));

  // Where the listener stopped in an article (0: from the start, or it was heard to the end).
  function stoppedAt(li) {
    const t = Number(recall(li.dataset.key));
    return t > 1 && t < Number(li.dataset.duration) - 1 ? t : 0;
  }

  function showResume(li) {
    const t = stoppedAt(li);
    const label = li.querySelector(".resume");
    const button = li.querySelector(".listen");
    label.hidden = !t;
    label.textContent = t ? `上次听到 ${clock(t)}` : "";
    button.textContent = li === current && !audio.paused ? "❚❚ 暂停" : (t ? "▶ 继续" : "▶ 收听");
  }

  function savePosition() {
    if (!current) return;
    if (audio.ended) forget(current.dataset.key);
    else if (audio.currentTime > 0) remember(current.dataset.key, audio.currentTime.toFixed(1));
    lastSaved = audio.currentTime;
  }

  function update() {
    const total = duration();
    seek.max = total.toFixed(3);
    seek.value = audio.currentTime.toFixed(3);
    const text = `${clock(audio.currentTime)} / ${clock(total)}`;
    time.textContent = text;
    seek.setAttribute("aria-valuetext", text);
  }

  function showPlaying() {
    const playing = current && !audio.paused;
    playButton.textContent = playing ? "❚❚ 暂停" : "▶ 播放";
    playButton.setAttribute("aria-label", playing ? "暂停" : "播放");
    items.forEach(showResume);
  }

  function play() {
    const started = audio.play();
    if (started) started.catch((err) => announce(`无法播放：${err.message}`));
  }

  // Put the article ``li`` in the player (where the listener stopped in it), and play it if asked.
  function load(li, andPlay) {
    if (li === current) {
      if (andPlay) play();
      return;
    }
    if (current) {
      savePosition();
      current.classList.remove("playing");
      current.removeAttribute("aria-current");
    }
    current = li;
    announce("");
    li.classList.add("playing");
    li.setAttribute("aria-current", "true");
    $("now").textContent = li.dataset.title;
    startAt = stoppedAt(li);
    lastSaved = startAt;
    audio.src = li.dataset.src;
    audio.playbackRate = audio.defaultPlaybackRate = Number(speed.value);
    if (andPlay) play(); else audio.load();
    showPlaying();
    update();
  }

  const shown = () => items.filter((li) => !li.hidden);

  function step(delta) {
    const list = shown();
    if (!list.length) return null;
    const i = current ? list.indexOf(current) : -1;
    if (i < 0) return delta > 0 ? list[0] : list[list.length - 1];
    return list[i + delta] || null;
  }

  function toggle() {
    if (!current) {
      const first = shown()[0];
      if (first) load(first, true);
    } else if (audio.paused) {
      play();
    } else {
      audio.pause();
    }
  }

  function jump(t) {
    if (!current) return;
    audio.currentTime = Math.min(Math.max(0, t), duration());
    update();
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

  function filter() {
    const q = filters.q.value.trim().toLowerCase();
    const site = filters.site.value;
    const from = filters.from.value;
    const to = filters.to.value;
    let count = 0;
    items.forEach((li) => {
      const d = li.dataset.date;
      const ok = (!q || li.dataset.title.toLowerCase().includes(q))
        && (!site || li.dataset.site === site)
        && (!from || (d && d >= from))
        && (!to || (d && d <= to));
      li.hidden = !ok;
      if (ok) count += 1;
    });
    $("count").textContent = `${count} 篇`;
    $("none").hidden = count > 0;
  }

  // The player
  audio.addEventListener("loadedmetadata", () => {
    if (startAt > 0) {
      audio.currentTime = startAt;
      announce(`从上次的位置继续：${clock(startAt)}`);
      startAt = 0;
    }
    update();
  });
  audio.addEventListener("play", showPlaying);
  audio.addEventListener("pause", () => { savePosition(); showPlaying(); });
  audio.addEventListener("seeked", () => { savePosition(); update(); });
  audio.addEventListener("timeupdate", () => {
    update();
    if (Math.abs(audio.currentTime - lastSaved) >= 2) savePosition();
  });
  audio.addEventListener("ended", () => {
    savePosition();
    const next = continuous.checked ? step(1) : null;
    if (next) {
      load(next, true);
      announce(`下一篇：${next.dataset.title}`);
    } else {
      showPlaying();
    }
  });
  audio.addEventListener("error", () => {
    if (current) announce(`无法加载音频：${current.dataset.title}`);
  });
  window.addEventListener("pagehide", savePosition);

  // Buttons and filters
  playButton.addEventListener("click", toggle);
  $("next").addEventListener("click", () => { const li = step(1); if (li) load(li, true); });
  $("prev").addEventListener("click", () => { const li = step(-1); if (li) load(li, true); });
  $("back").addEventListener("click", () => jump(audio.currentTime - skip));
  $("forward").addEventListener("click", () => jump(audio.currentTime + skip));
  speed.addEventListener("change", () => setSpeed(Number(speed.value)));
  seek.addEventListener("input", () => jump(Number(seek.value)));
  continuous.addEventListener("change", () => remember("reader-continuous", continuous.checked ? "1" : "0"));
  items.forEach((li) => li.querySelector(".listen").addEventListener("click", () => {
    if (li === current) toggle(); else load(li, true);
  }));
  Object.values(filters).forEach((el) => el.addEventListener("input", filter));
  $("filters").addEventListener("submit", (event) => event.preventDefault());

  // Keyboard, as the listen page and the terminal player: space, arrows, n/p (article), +/- (speed), / (search).
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    const target = event.target instanceof Element ? event.target : document.body;
    if (target.closest("input, select, textarea, [contenteditable]")) return;
    const native = target.closest("button, a, summary");
    const actions = {
      " ": native ? null : toggle,
      ArrowLeft: () => jump(audio.currentTime - skip),
      ArrowRight: () => jump(audio.currentTime + skip),
      n: () => { const li = step(1); if (li) load(li, true); },
      p: () => { const li = step(-1); if (li) load(li, true); },
      "+": () => stepSpeed(1),
      "=": () => stepSpeed(1),
      "-": () => stepSpeed(-1),
      "/": () => filters.q.focus(),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  // Preferences shared with the listen pages
  const savedSpeed = Number(recall("reader-speed"));
  if (savedSpeed) setSpeed(savedSpeed);
  if (recall("reader-continuous") === "0") continuous.checked = false;
  items.forEach(showResume);
  filter();
  update();
})();
