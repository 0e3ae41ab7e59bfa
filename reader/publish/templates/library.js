// The library's script (after player.js, in the same inline <script>): one player for the whole library
// (two articles never play over each other), continuous play from one article to the next, search and
// filters, and "continue where you stopped" with the positions the listen pages remember (ReaderPlayer
// keeps them under the same keys). Static: it reads everything from the page's data- attributes, so no
// article text is ever interpolated into a script.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const items = Array.from(document.querySelectorAll(".item"));
  if (!items.length) return;
  const continuous = $("continuous");
  const filters = { q: $("q"), site: $("site"), from: $("from"), to: $("to") };

  let current = null;  // the <li> of the article in the player

  const player = ReaderPlayer.create({
    audio: $("audio"),
    box: $("controls"),
    hooks: {
      ready: () => current !== null,
      start: () => { const first = shown()[0]; if (first) load(first, true); },
      state: () => items.forEach(showResume),
      ended: () => {
        const next = continuous.checked ? step(1) : null;
        if (next) load(next, true, `下一篇：${next.dataset.title}`);
      },
      error: () => (current ? `无法加载音频：${current.dataset.title}` : null),
      keys: {
        n: () => { const li = step(1); if (li) load(li, true); },
        p: () => { const li = step(-1); if (li) load(li, true); },
        "/": () => filters.q.focus(),
      },
    },
  });

  $("player").hidden = false;
  $("filters").hidden = false;
  items.forEach((li) => { li.querySelector(".listen").hidden = false; });

  function showResume(li) {
    const t = ReaderPlayer.stoppedAt(li.dataset.key, Number(li.dataset.duration));
    const label = li.querySelector(".resume");
    const button = li.querySelector(".listen");
    label.hidden = !t;
    label.textContent = t ? `上次听到 ${ReaderPlayer.clock(t)}` : "";
    button.textContent = li === current && !$("audio").paused ? "❚❚ 暂停" : (t ? "▶ 继续" : "▶ 收听");
  }

  // Put the article ``li`` in the player (where the listener stopped in it), and play it if asked; the
  // status names it (``message``, or its title), never the article before it.
  function load(li, andPlay, message) {
    if (li === current) {
      if (andPlay) player.play();
      return;
    }
    if (current) {
      current.classList.remove("playing");
      current.removeAttribute("aria-current");
    }
    current = li;
    li.classList.add("playing");
    li.setAttribute("aria-current", "true");
    $("now").textContent = li.dataset.title;
    player.open(li.dataset.src, li.dataset.key, Number(li.dataset.duration), andPlay);
    player.announce(message || `正在播放：${li.dataset.title}`);
  }

  const shown = () => items.filter((li) => !li.hidden);

  function step(delta) {
    const list = shown();
    if (!list.length) return null;
    const i = current ? list.indexOf(current) : -1;
    if (i < 0) return delta > 0 ? list[0] : list[list.length - 1];
    return list[i + delta] || null;
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

  // Articles and filters
  $("next").addEventListener("click", () => { const li = step(1); if (li) load(li, true); });
  $("prev").addEventListener("click", () => { const li = step(-1); if (li) load(li, true); });
  continuous.addEventListener("change", () => ReaderPlayer.remember("reader-continuous", continuous.checked ? "1" : "0"));
  items.forEach((li) => li.querySelector(".listen").addEventListener("click", () => {
    if (li === current) player.toggle(); else load(li, true);
  }));
  Object.values(filters).forEach((el) => el.addEventListener("input", filter));
  $("filters").addEventListener("submit", (event) => event.preventDefault());

  // Preferences shared with the listen pages
  if (ReaderPlayer.recall("reader-continuous") === "0") continuous.checked = false;
  items.forEach(showResume);
  filter();
  player.update();
})();
