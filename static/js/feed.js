// The vertical player: the visible video plays (muted until the viewer turns sound on, with
// captions while muted), the others pause; tap to pause, double-tap to like, keys to move and
// pause, share, engagement beacons; only the visible clip and the next two load; the feed's
// position survives a visit to another page and back.
(function () {
  "use strict";

  const SOUND_KEY = "clip:sound";
  const CC_KEY = "clip:cc"; // "on" | "off"; unset: captions while the sound is off
  const RATE_KEY = "clip:kbps"; // throughput measured on the last clip, kbit/s
  const HD_KBPS = 6000; // 720p is encoded at up to 4 Mbit/s: choose it with room to spare
  const AHEAD = 2; // clips loaded beyond the visible one
  const DOUBLE_TAP_MS = 350;
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
    video.addEventListener("click", function (event) {
      // One tap pauses or plays; two taps in quick succession like the video instead.
      if (slide._tapTimer) {
        clearTimeout(slide._tapTimer);
        slide._tapTimer = null;
        doubleTap(slide, event);
        return;
      }
      slide._tapTimer = setTimeout(function () { slide._tapTimer = null; togglePlay(slide); }, DOUBLE_TAP_MS);
    });
  }

  function togglePlay(slide) {
    const video = slide.querySelector("video.player");
    if (!video) return;
    if (video.paused) { slide.dataset.userPaused = ""; attach(slide); video.play().catch(function () {}); }
    else { video.pause(); slide.dataset.userPaused = "1"; }
  }

  function doubleTap(slide, event) {
    const layer = slide.querySelector(".heart-layer");
    if (layer) {
      const box = layer.getBoundingClientRect();
      const heart = document.createElement("span");
      heart.className = "heart-burst";
      heart.textContent = "\u2665";
      heart.style.left = (event.clientX - box.left) + "px";
      heart.style.top = (event.clientY - box.top) + "px";
      layer.appendChild(heart);
      setTimeout(function () { heart.remove(); }, 900);
    }
    const like = slide.querySelector(".act-btn.like");
    if (!like) return;
    if (like.tagName === "A") { toast("Log in to like videos"); return; }
    if (like.getAttribute("aria-pressed") !== "true") like.click(); // a double tap only ever likes
  }

  // --- Which video plays ---------------------------------------------------------------------
  let current = null;

  function play(slide) {
    const video = slide.querySelector("video.player");
    if (!video || slide.dataset.userPaused === "1" || !video.paused) return;
    video.muted = !soundOn();
    captions(video);
    video.play().catch(function () {
      // Sound was refused without a gesture: fall back to muted autoplay.
      video.muted = true;
      captions(video);
      video.play().catch(function () {});
    });
  }

  function activate(slide) {
    attachAround(slide);
    if (current === slide) { play(slide); return; } // back in view after a nudge: play on
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
    play(slide);
  }

  // Whatever slide is in view once scrolling settles plays (a wheel nudge that snapped back
  // paused it on the way).
  function settle() {
    const slides = Array.from(document.querySelectorAll(".slide[data-video]"));
    if (!feed || !slides.length) return;
    const top = feed.getBoundingClientRect().top, height = feed.clientHeight;
    let best = null, bestSeen = 0;
    slides.forEach(function (s) {
      const r = s.getBoundingClientRect();
      const seen = Math.min(r.bottom, top + height) - Math.max(r.top, top);
      if (seen > bestSeen) { bestSeen = seen; best = s; }
    });
    if (best && bestSeen >= VISIBLE * height) activate(best);
  }
  let settleTimer = null;
  if (feed) {
    feed.addEventListener("scrollend", settle);
    feed.addEventListener("scroll", function () {
      clearTimeout(settleTimer);
      settleTimer = setTimeout(settle, 180); // engines without scrollend
    }, { passive: true });
  }

  // --- Loading: the visible clip and the next two; 360p or 720p by measured throughput ---------
  function kbps() {
    try { return parseFloat(sessionStorage.getItem(RATE_KEY)) || 0; } catch (e) { return 0; }
  }

  function rendition() {
    const measured = kbps();
    if (measured) return measured >= HD_KBPS ? "720" : "360";
    return window.matchMedia("(max-width: 480px)").matches ? "360" : "720";
  }

  function attach(slide) {
    const video = slide && slide.querySelector("video.player");
    if (!video || video.dataset.attached) return;
    video.dataset.attached = "1";
    const which = rendition();
    video.dataset.rendition = which;
    video.poster = video.dataset.poster;
    video.preload = "metadata";
    video.src = video.getAttribute("data-src-" + which);
  }

  function attachAround(slide) {
    const slides = Array.from(document.querySelectorAll(".slide[data-video]"));
    const index = slides.indexOf(slide);
    for (let i = index; i >= 0 && i <= index + AHEAD && i < slides.length; i++) attach(slides[i]);
  }

  // Each clip that arrives whole says how fast the connection is (its Resource Timing entry):
  // the clips attached after it choose their rendition from the latest one.
  function measured(entry) {
    if (entry.initiatorType !== "video") return;
    // The clip's own element says which video it was: the URL may be this site's or a store's.
    const video = Array.from(document.querySelectorAll(".slide[data-video] video"))
      .find(function (v) { return v.currentSrc === entry.name || v.src === entry.name; });
    if (!video) return;
    if (entry.encodedBodySize < 32 * 1024) return; // too small to time
    const seconds = (entry.responseEnd - entry.requestStart) / 1000;
    if (seconds <= 0) return;
    const rate = (entry.encodedBodySize * 8) / 1000 / seconds;
    try { sessionStorage.setItem(RATE_KEY, rate.toFixed(0)); } catch (e) { /* private mode */ }
    window.clipNetwork = { kbps: rate, from: video.closest(".slide[data-video]").getAttribute("data-video") };
  }
  if ("PerformanceObserver" in window) {
    try {
      new PerformanceObserver(function (list) { list.getEntries().forEach(measured); })
        .observe({ type: "resource", buffered: true });
    } catch (e) { /* an engine without Resource Timing: the screen size decides */ }
  }

  // --- Captions: shown while muted unless the viewer turned them off (remembered) --------------
  function ccPref() {
    try { return localStorage.getItem(CC_KEY) || ""; } catch (e) { return ""; }
  }

  function captionsWanted(video) {
    const pref = ccPref();
    return pref === "on" || (pref === "" && video.muted);
  }

  function captions(video) {
    Array.from(video.textTracks || []).forEach(function (track) {
      if (track.kind !== "captions" && track.kind !== "subtitles") return;
      track.mode = captionsWanted(video) ? "showing" : "disabled";
    });
    renderCc();
  }

  // Cues sit above the title and buttons that cover the bottom of the clip.
  document.addEventListener("load", function (event) {
    const el = event.target;
    if (!el || el.tagName !== "TRACK" || !el.track || !el.track.cues) return;
    Array.from(el.track.cues).forEach(function (cue) { cue.snapToLines = false; cue.line = 60; });
  }, true);

  function renderCc() {
    const video = current && current.querySelector("video.player");
    const on = video ? captionsWanted(video) : ccPref() !== "off";
    document.querySelectorAll("[data-cc-toggle]").forEach(function (btn) {
      btn.setAttribute("aria-pressed", on ? "true" : "false");
      const label = btn.querySelector("[data-cc-label]");
      if (label) label.textContent = on ? "Captions on" : "Captions off";
    });
  }

  function toggleCc() {
    const video = current && current.querySelector("video.player");
    const on = video ? captionsWanted(video) : ccPref() !== "off";
    try { localStorage.setItem(CC_KEY, on ? "off" : "on"); } catch (e) { /* private mode */ }
    document.querySelectorAll("video.player").forEach(function (v) { if (v.dataset.attached) captions(v); });
    renderCc();
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

  // Keys: arrows move; Space plays or pauses the clip of the card that has focus (or the
  // visible one) unless focus is on a control, which Space presses; K (pause) and M (sound)
  // work bare only while focus is inside a card, elsewhere with Alt, so a stray letter typed
  // anywhere else does nothing.
  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (!feed || !target.closest || target.closest("input, textarea, select, [contenteditable]")) return;
    const card = target.closest(".slide[data-video]");
    const onControl = target.closest("a, button, summary, [role=button]");
    const letter = (event.code || "").replace("Key", "").toLowerCase();
    const shortcut = !event.ctrlKey && !event.metaKey && (event.altKey || (card && !event.shiftKey));
    if (event.key === "ArrowDown" || event.key === "PageDown") { event.preventDefault(); move(1); }
    else if (event.key === "ArrowUp" || event.key === "PageUp") { event.preventDefault(); move(-1); }
    else if (event.key === " " && !onControl && (card || current)) {
      event.preventDefault();
      togglePlay(card || current);
    } else if (letter === "k" && shortcut && (card || current)) { event.preventDefault(); togglePlay(card || current); }
    else if (letter === "m" && shortcut) { event.preventDefault(); toggleSound(); }
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
    document.querySelectorAll("video.player").forEach(function (v) {
      v.muted = !soundOn();
      if (v.dataset.attached) captions(v);
    });
  }

  document.addEventListener("click", function (event) {
    const soundBtn = event.target.closest("[data-sound-toggle]");
    if (soundBtn) { toggleSound(); return; }
    if (event.target.closest("[data-cc-toggle]")) { toggleCc(); return; }
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

  // --- Back from another page: the same slides, the same place -------------------------------
  // The loaded pages' HTML and the visible slide are kept for this tab (sessionStorage); a
  // back or forward navigation puts them back before anything plays. A page restored whole
  // from the back-forward cache needs none of it.
  const RESTORE_KEY = "clip:feed:" + location.pathname + location.search;

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.classList.contains("sentinel")) event.detail.elt.dataset.fired = "1";
  });

  function saveFeed() {
    if (!feed || !feed.hasAttribute("data-restorable")) return;
    const copy = feed.cloneNode(true);
    copy.querySelectorAll(".sentinel[data-fired]").forEach(function (s) { s.remove(); });
    copy.querySelectorAll(".panel").forEach(function (p) { p.innerHTML = ""; });
    copy.querySelectorAll(".heart-burst, .caught-up").forEach(function (h) { h.remove(); });
    copy.querySelectorAll(".slide").forEach(function (s) { s.classList.remove("is-paused"); s.removeAttribute("data-user-paused"); });
    copy.querySelectorAll("video.player").forEach(function (v) {
      if (v.querySelector("source")) return; // rendered ready to load
      ["src", "poster", "data-attached", "data-rendition"].forEach(function (a) { v.removeAttribute(a); });
      v.setAttribute("preload", "none");
    });
    try {
      sessionStorage.setItem(RESTORE_KEY, JSON.stringify({ html: copy.innerHTML, slide: current ? current.id : "" }));
    } catch (e) { /* full or private: the feed starts at the top */ }
  }

  function restoreFeed() {
    if (!feed || !feed.hasAttribute("data-restorable")) return;
    const nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    let saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(RESTORE_KEY) || "null"); } catch (e) { saved = null; }
    if (!nav || nav.type !== "back_forward" || !saved || !saved.html) {
      try { sessionStorage.removeItem(RESTORE_KEY); } catch (e) { /* nothing kept */ }
      return;
    }
    if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    feed.innerHTML = saved.html;
    if (window.htmx) window.htmx.process(feed);
    const slide = saved.slide && document.getElementById(saved.slide);
    if (slide) { attachAround(slide); feed.scrollTop = slide.offsetTop - feed.offsetTop; }
    window.clipRestored = saved.slide || true;
  }

  window.addEventListener("pagehide", saveFeed);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") saveFeed(); });

  restoreFeed();
  renderSound();
  renderCc();
  scan(document);
})();
