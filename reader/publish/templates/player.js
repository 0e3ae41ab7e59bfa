// The player shared by reader's pages (the listen page, the library app, and any page to come): one
// <audio> driven by custom controls, the clock, the speed steps, seeking, the keys of the terminal player,
// and the listener's position remembered per narration in localStorage (the same keys on every page, so one
// page continues where another stopped). Static, like the pages' scripts: it reads everything from the page.
// It defines one name, ReaderPlayer; a page's own script follows it in the same inline <script>.
const ReaderPlayer = (() => {
  "use strict";

  // localStorage, when the page may use it (file:// pages and private modes may refuse it: then nothing
  // is remembered).
  const store = (() => {
    try {
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

  function clock(t) {
    const s = Math.max(0, Math.floor(t));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
  }

  const CONTROLS = ["play", "back", "forward", "speed", "seek", "time", "status"];
  const byId = (ids) => Object.fromEntries(ids.map((id) => [id, document.getElementById(id)]));

  // Where the listener stopped in the narration remembered under ``key`` (0: from the start, or it was heard
  // to the end).
  function stoppedAt(key, duration) {
    const t = key ? Number(recall(key)) : 0;
    return t > 1 && t < duration - 1 ? t : 0;
  }

  // The player of ``audio`` with its controls: {play, back, forward, speed, seek, time, status} (elements;
  // by default the page's elements of those ids, as player.html.j2 writes them). ``skip``, the seconds of
  // back/forward, is read from the data-skip of ``box``, the controls' container.
  // ``key`` and ``duration``: the narration already in the player, if any (the position's storage key and
  // the record's duration, used until the audio's own is known). ``hooks``, all optional:
  //   ready() → false while nothing is in the player (jumps do nothing then);
  //   start() → play when nothing is in the player yet (the play button, space);
  //   moved() → the listener moved the player (a button, a key, the slider, or the page's own jump);
  //   time(t) → the position changed (often while playing: keep it cheap);
  //   state() → the audio started or stopped playing; ended() → it reached its end;
  //   error() → the message to announce when the audio cannot be loaded;
  //   keys → {key: action} the page's own keys, besides space, ←/→ and +/-.
  // ``keyTarget``: where the keys are listened for (the document; an embedded player, its own element).
  function create({ audio, box, controls = byId(CONTROLS), key = null, duration = 0, hooks = {},
                   keyTarget = document }) {
    const { play: playButton, back, forward, speed, seek, time, status } = controls;
    const skip = Number(box.dataset.skip) || 10;
    const ready = hooks.ready || (() => true);
    let current = { key, duration };
    let resumeAt = stoppedAt(key, duration);  // where to go once the metadata is in
    let lastSaved = resumeAt;

    const length = () => (Number.isFinite(audio.duration) && audio.duration > 0
      ? audio.duration : current.duration);
    const announce = (message) => { status.textContent = message; };

    function update() {
      const t = audio.currentTime;
      if (hooks.time) hooks.time(t);
      const total = length();
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

    function savePosition() {
      if (!current.key) return;
      if (audio.ended) forget(current.key);
      else if (audio.currentTime > 0) remember(current.key, audio.currentTime.toFixed(1));
      else if (audio.readyState >= 1) forget(current.key);  // back at the start (not: not loaded yet)
      lastSaved = audio.currentTime;
    }

    function play() {
      const started = audio.play();
      // AbortError: another narration was opened before this one started (the listener pressed "next"
      // during an automatic advance); the status already names the new one, so it must not be overwritten.
      if (started) started.catch((err) => { if (err.name !== "AbortError") announce(`无法播放：${err.message}`); });
    }

    function toggle() {
      if (!ready()) {
        if (hooks.start) hooks.start();
      } else if (audio.paused) {
        play();
      } else {
        audio.pause();
      }
    }

    function jump(t) {
      if (!ready()) return;
      resumeAt = 0;  // the listener moved: no going back to where they stopped last time
      if (hooks.moved) hooks.moved();
      const target = Math.min(Math.max(0, t), length());
      whole.target = target;  // if the server proves unable to seek, the audio goes there once loaded whole
      audio.currentTime = target;
      update();
    }

    // A server that cannot send part of a file (no Range requests: "python3 -m http.server", which "any
    // static server" invites) cannot seek: the browser would start again near 0 while the page says
    // chapter 3. Once the audio's metadata is in, one request for its first byte says whether the server
    // can; if it cannot, the file is loaded whole (a blob, which seeks anywhere) and put in the player at the
    // same place, and the listener is told. file:// and blobs seek anyway.
    const whole = { loading: false, target: null, checked: new Set() };  // target: the last place asked for

    function checkSeeking() {
      const src = audio.currentSrc;
      if (!/^https?:/i.test(src) || whole.checked.has(src)) return;
      whole.checked.add(src);
      fetch(src, { headers: { Range: "bytes=0-0" }, cache: "no-store" })
        .then((reply) => {
          if (reply.body) reply.body.cancel();
          if (reply.status !== 206 && src === audio.currentSrc) loadWhole(src);
        })
        .catch(() => { /* the audio loaded: leave it as it is */ });
    }

    function loadWhole(src) {
      const given = audio.getAttribute("src") || src;  // as the page wrote it (relative)
      whole.loading = true;
      announce("服务器不支持按位置读取，正在载入整个音频以便跳转…");
      fetch(src)
        .then((reply) => { if (!reply.ok) throw new Error(`HTTP ${reply.status}`); return reply.blob(); })
        .then((blob) => {
          if (src !== audio.currentSrc) return;  // another narration was opened meanwhile
          const at = whole.target !== null ? whole.target : audio.currentTime;
          const playing = !audio.paused;
          audio.addEventListener("loadedmetadata", () => {
            audio.currentTime = at;
            whole.loading = false;
            announce("已载入整个音频，可以跳转");
            if (playing) play();
            update();
          }, { once: true });
          audio.src = URL.createObjectURL(blob);
          audio.dataset.file = given;  // what is playing, for whoever asks (the src is the blob's)
          audio.playbackRate = audio.defaultPlaybackRate = Number(speed.value);
        })
        .catch((err) => {
          whole.loading = false;
          announce(`此服务器不支持跳转，只能从头顺序播放（${err.message}）`);
        });
    }

    // Put another narration in the player, where the listener stopped in it; play it if asked.
    function open(src, newKey, newDuration, andPlay) {
      savePosition();
      current = { key: newKey, duration: newDuration };
      resumeAt = stoppedAt(newKey, newDuration);
      lastSaved = resumeAt;
      whole.target = null;
      delete audio.dataset.file;
      if (audio.src.startsWith("blob:")) URL.revokeObjectURL(audio.src);  // a file loaded whole before
      announce("");
      audio.src = src;
      audio.playbackRate = audio.defaultPlaybackRate = Number(speed.value);
      if (andPlay) play(); else audio.load();
      showPlaying();
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

    function showPlaying() {
      const playing = ready() && !audio.paused;
      playButton.textContent = playing ? "❚❚ 暂停" : "▶ 播放";
      playButton.setAttribute("aria-label", playing ? "暂停" : "播放");
      if (hooks.state) hooks.state();
    }

    // The audio
    audio.addEventListener("play", () => { showPlaying(); window.requestAnimationFrame(tick); });
    audio.addEventListener("pause", () => { savePosition(); showPlaying(); update(); });
    audio.addEventListener("ended", () => {
      savePosition();
      showPlaying();
      if (hooks.ended) hooks.ended();
    });
    audio.addEventListener("seeked", () => { update(); savePosition(); });
    audio.addEventListener("timeupdate", () => {
      update();
      if (Math.abs(audio.currentTime - lastSaved) >= 2) savePosition();
    });
    audio.addEventListener("loadedmetadata", () => {
      checkSeeking();
      if (resumeAt > 0 && resumeAt < length() - 1) {
        audio.currentTime = whole.target = resumeAt;
        announce(`从上次的位置继续：${clock(resumeAt)}`);
      }
      resumeAt = 0;
      update();
    });
    audio.addEventListener("error", () => {
      const message = hooks.error ? hooks.error() : null;
      if (message) announce(message);
    });
    window.addEventListener("pagehide", savePosition);

    // The controls
    playButton.addEventListener("click", toggle);
    back.addEventListener("click", () => jump(audio.currentTime - skip));
    forward.addEventListener("click", () => jump(audio.currentTime + skip));
    speed.addEventListener("change", () => setSpeed(Number(speed.value)));
    seek.addEventListener("input", () => jump(Number(seek.value)));

    // Keys, as the terminal player (reader play): space, ←/→, +/- speed; and the page's own. None while the
    // listener types in a field; space is a focused button's or link's own.
    keyTarget.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      const target = event.target instanceof Element ? event.target : document.body;
      if (target.closest("input, select, textarea, [contenteditable]")) return;
      const native = target.closest("button, a, summary");
      const actions = {
        " ": native ? null : toggle,
        ArrowLeft: () => jump(audio.currentTime - skip),
        ArrowRight: () => jump(audio.currentTime + skip),
        "+": () => stepSpeed(1),
        "=": () => stepSpeed(1),
        "-": () => stepSpeed(-1),
        ...(hooks.keys || {}),
      };
      const action = actions[event.key];
      if (action) {
        event.preventDefault();
        action();
      }
    });

    // The speed, remembered across narrations and pages
    const savedSpeed = Number(recall("reader-speed"));
    if (savedSpeed) setSpeed(savedSpeed);

    return {
      announce, jump, open, play, toggle, update, showPlaying,
      duration: length,
      // The custom controls replace the browser's own (which stay for anyone without scripts).
      show() {
        audio.removeAttribute("controls");
        audio.hidden = true;
        box.hidden = false;
      },
    };
  }

  return { create, clock, stoppedAt, remember, recall };
})();
