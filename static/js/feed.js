// The vertical player: the visible video plays (muted until the viewer turns sound on), the
// others pause; tap to pause, arrow keys to move, share, and engagement beacons.
(function () {
  "use strict";

  const SOUND_KEY = "clip:sound";
  const SKIP_SECONDS = 2;
  const VISIBLE = 0.6;
  const feed = document.getElementById("feed");
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  // What the player sent, for the viewer's own debugging and for browser tests.
  const sent = (window.clipEvents = []);

  function soundOn() {
    try { return localStorage.getItem(SOUND_KEY) === "on"; } catch (e) { return false; }
  }

  function toast(text) {
    const box = document.querySelector("[data-toast]");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 2500);
  }

  // --- Engagement beacons ------------------------------------------------------------------
  function beacon(slide, kind, watchSeconds, completion) {
    if (!feed || !slide) return;
    const data = new FormData();
    data.append("csrfmiddlewaretoken", feed.dataset.csrf);
    data.append("video", slide.dataset.video);
    data.append("kind", kind);
    data.append("slot", slide.dataset.slot || "");
    const entry = { video: slide.dataset.video, kind: kind, watch_seconds: 0, completion: 0 };
    if (watchSeconds !== undefined) {
      data.append("watch_seconds", watchSeconds.toFixed(3));
      data.append("completion", completion.toFixed(4));
      entry.watch_seconds = parseFloat(watchSeconds.toFixed(3));
      entry.completion = parseFloat(completion.toFixed(4));
    }
    sent.push(entry);
    if (!(navigator.sendBeacon && navigator.sendBeacon(feed.dataset.eventUrl, data))) {
      fetch(feed.dataset.eventUrl, { method: "POST", body: data, credentials: "same-origin", keepalive: true });
    }
  }

  // Per-slide viewing state: seconds played in the current viewing (a loop starts a new one).
  function state(slide) {
    if (!slide._clip) slide._clip = { impressed: false, played: false, watched: 0, total: 0, last: null, viewings: 0 };
    return slide._clip;
  }

  function durationOf(slide, video) {
    const d = video && isFinite(video.duration) && video.duration > 0 ? video.duration : parseFloat(slide.dataset.duration);
    return d > 0 ? d : 0;
  }

  function flushViewing(slide, leaving) {
    const st = state(slide);
    const video = slide.querySelector("video.player");
    if (!st.played) return;
    const duration = durationOf(slide, video);
    if (st.watched > 0.05 || (leaving && st.viewings === 0)) {
      const seconds = duration ? Math.min(st.watched, duration) : st.watched;
      const completion = duration ? Math.min(seconds / duration, 1) : 0;
      beacon(slide, "watch", seconds, completion);
    }
    if (leaving && st.viewings === 0 && st.total < SKIP_SECONDS) {
      const seconds = st.total;
      beacon(slide, "skip", seconds, duration ? Math.min(seconds / duration, 1) : 0);
    }
    st.watched = 0;
    st.last = video ? video.currentTime : null;
  }

  function track(video) {
    const slide = video.closest(".slide");
    video.addEventListener("timeupdate", function () {
      const st = state(slide);
      const now = video.currentTime;
      if (st.last !== null && !video.paused) {
        if (now >= st.last) {
          const delta = now - st.last;
          if (delta < 1.5) { st.watched += delta; st.total += delta; }
        } else {
          // Wrapped around: the viewing finished; count the tail, then a replay begins.
          const duration = durationOf(slide, video);
          const tail = Math.max(0, duration - st.last);
          st.watched += tail; st.total += tail;
          flushViewing(slide, false);
          st.viewings += 1;
          beacon(slide, "replay");
          st.watched = now; st.total += now;
        }
      }
      st.last = now;
    });
    video.addEventListener("playing", function () {
      const st = state(slide);
      if (!st.played) { st.played = true; beacon(slide, "play"); }
      st.last = video.currentTime;
      slide.classList.remove("is-paused");
    });
    video.addEventListener("pause", function () {
      slide.classList.add("is-paused");
    });
    video.addEventListener("click", function () {
      if (video.paused) { video.play().catch(function () {}); slide.dataset.userPaused = ""; }
      else { video.pause(); slide.dataset.userPaused = "1"; }
    });
  }

  // --- Which video plays ---------------------------------------------------------------------
  let current = null;

  function activate(slide) {
    if (current === slide) return;
    if (current) {
      const old = current.querySelector("video.player");
      if (old) old.pause();
      flushViewing(current, true);
      const st = state(current);
      st.total = 0; st.viewings = 0; st.played = false; st.last = null;
    }
    current = slide;
    const st = state(slide);
    if (!st.impressed) { st.impressed = true; beacon(slide, "impression"); }
    const video = slide.querySelector("video.player");
    if (!video) return;
    video.muted = !soundOn();
    if (slide.dataset.userPaused !== "1") {
      video.play().catch(function () {
        // Sound was refused without a gesture: fall back to muted autoplay.
        video.muted = true;
        video.play().catch(function () {});
      });
    }
  }

  const observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      const slide = entry.target;
      if (entry.isIntersecting && entry.intersectionRatio >= VISIBLE) activate(slide);
      else if (slide === current && entry.intersectionRatio < VISIBLE) {
        const video = slide.querySelector("video.player");
        if (video) video.pause();
      }
    });
  }, { threshold: [0, VISIBLE, 1] }) : null;

  function scan(root) {
    if (!root || !root.querySelectorAll) return;
    const slides = root.matches && root.matches(".slide[data-video]") ? [root] : [];
    root.querySelectorAll(".slide[data-video]").forEach(function (s) { slides.push(s); });
    slides.forEach(function (slide) {
      if (slide._observed) return;
      slide._observed = true;
      const video = slide.querySelector("video.player");
      if (video) track(video);
      if (observer) observer.observe(slide);
    });
    root.querySelectorAll("video.preview[data-preview]").forEach(previewHover);
  }

  function move(step) {
    const slides = Array.from(document.querySelectorAll(".slide[data-video]"));
    const index = slides.indexOf(current);
    const next = slides[Math.max(0, Math.min(slides.length - 1, index + step))];
    if (next) next.scrollIntoView({ behavior: reduceMotion ? "auto" : "smooth", block: "start" });
  }

  document.addEventListener("keydown", function (event) {
    if (!feed || event.target.closest("input, textarea, select, [contenteditable]")) return;
    if (event.key === "ArrowDown" || event.key === "PageDown") { event.preventDefault(); move(1); }
    else if (event.key === "ArrowUp" || event.key === "PageUp") { event.preventDefault(); move(-1); }
    else if (event.key === " " && current && event.target === document.body) {
      event.preventDefault();
      const video = current.querySelector("video.player");
      if (video) video.click();
    } else if (event.key === "m" && current) toggleSound();
  });

  // Swipe on devices where the scroll container does not snap by itself (mouse drag, old engines).
  let touchY = null;
  if (feed) {
    feed.addEventListener("touchstart", function (e) { touchY = e.touches[0].clientY; }, { passive: true });
    feed.addEventListener("touchend", function (e) {
      if (touchY === null || CSS.supports("scroll-snap-type", "y mandatory")) { touchY = null; return; }
      const dy = touchY - e.changedTouches[0].clientY;
      if (Math.abs(dy) > 50) move(dy > 0 ? 1 : -1);
      touchY = null;
    }, { passive: true });
  }

  // --- Sound toggle (sticks in localStorage) --------------------------------------------------
  function renderSound() {
    const on = soundOn();
    document.querySelectorAll("[data-sound-toggle]").forEach(function (btn) {
      btn.setAttribute("aria-pressed", on ? "true" : "false");
      const label = btn.querySelector("[data-sound-label]");
      if (label) label.textContent = on ? "Sound on" : "Sound off";
    });
  }

  function toggleSound() {
    try { localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on"); } catch (e) { /* private mode */ }
    renderSound();
    document.querySelectorAll("video.player").forEach(function (v) { v.muted = !soundOn(); });
  }

  document.addEventListener("click", function (event) {
    const soundBtn = event.target.closest("[data-sound-toggle]");
    if (soundBtn) { toggleSound(); return; }
    const close = event.target.closest("[data-close-panel]");
    if (close) {
      const panel = close.closest(".panel");
      if (panel) panel.innerHTML = "";
      return;
    }
    const shareBtn = event.target.closest("[data-share-url]");
    if (shareBtn) { share(shareBtn); }
  });

  // --- Share: copy the link, use the system share sheet where there is one, count it ----------
  function share(btn) {
    const url = btn.dataset.shareUrl;
    const copied = navigator.clipboard && navigator.clipboard.writeText
      ? navigator.clipboard.writeText(url).then(function () { return true; }, function () { return false; })
      : Promise.resolve(false);
    copied.then(function (ok) {
      if (navigator.share) {
        navigator.share({ title: btn.dataset.shareTitle, url: url }).catch(function () {});
      } else {
        toast(ok ? "Link copied" : url);
      }
    });
    const data = new FormData();
    data.append("csrfmiddlewaretoken", feed ? feed.dataset.csrf : "");
    data.append("slot", btn.dataset.slot || "");
    fetch(btn.dataset.shareEndpoint, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (count) {
        const out = btn.querySelector("[data-share-count]");
        if (out && count !== null) out.textContent = count;
      });
  }

  // --- Grids: muted preview on hover ------------------------------------------------------------
  function previewHover(video) {
    if (video._hover || reduceMotion) return;
    video._hover = true;
    const tile = video.closest(".tile") || video.parentElement;
    tile.addEventListener("mouseenter", function () {
      if (!video.src) video.src = video.dataset.preview;
      video.play().catch(function () {});
      tile.classList.add("previewing");
    });
    tile.addEventListener("mouseleave", function () { video.pause(); tile.classList.remove("previewing"); });
  }

  // --- HTMX: new pages of cards, errors shown where they happened ------------------------------
  document.addEventListener("htmx:load", function (event) { scan(event.detail.elt); });
  document.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    const text = (xhr && xhr.responseText && xhr.responseText.length < 300) ? xhr.responseText : "Something went wrong.";
    const form = event.detail.elt.closest("form");
    const slot = form && form.querySelector("[data-error]");
    if (slot) slot.textContent = text; else toast(text);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    if (event.detail.successful && form.matches && form.matches("[data-not-interested]")) {
      // Hidden for good: move on to the next video.
      const slide = form.closest(".slide");
      const video = slide && slide.querySelector("video.player");
      if (video) { video.pause(); slide.dataset.userPaused = "1"; }
      form.remove();
      if (slide === current) setTimeout(function () { move(1); }, 600);
    }
    if (event.detail.successful && form.matches && form.matches(".comment-form")) {
      form.reset();
      const slot = form.querySelector("[data-error]");
      if (slot) slot.textContent = "";
    }
  });

  // Leaving the page (tab hidden, navigation): send what was watched so far.
  function leave() {
    if (current) { flushViewing(current, true); const st = state(current); st.total = 0; st.viewings = 0; st.played = false; }
  }
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") leave(); });
  window.addEventListener("pagehide", leave);

  renderSound();
  scan(document);
})();
