// Site-wide behaviour. No inline script anywhere (the Content-Security-Policy forbids it).
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    // The token in <body hx-headers> covers htmx; this covers any request htmx rebuilt.
    const token = document.querySelector("[name=csrfmiddlewaretoken]");
    if (token && !event.detail.headers["X-CSRFToken"]) event.detail.headers["X-CSRFToken"] = token.value;
  });

  // Toasts (Django messages): dismissed by their button or Escape; information hides itself
  // after a while, but not while the pointer or focus is on it; warnings and errors stay.
  const TOAST_MS = 6000;
  function dismiss(toast) {
    if (!toast || toast.classList.contains("is-leaving")) return;
    toast.classList.add("is-leaving");
    window.setTimeout(function () { toast.remove(); }, 300);
  }
  function autohide(toast) {
    let timer = window.setTimeout(function () { dismiss(toast); }, TOAST_MS);
    function hold() { window.clearTimeout(timer); }
    function release() { hold(); timer = window.setTimeout(function () { dismiss(toast); }, TOAST_MS); }
    toast.addEventListener("mouseenter", hold);
    toast.addEventListener("focusin", hold);
    toast.addEventListener("mouseleave", release);
    toast.addEventListener("focusout", release);
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest(".toast-msg [data-dismiss]");
    if (button) dismiss(button.closest(".toast-msg"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const toasts = document.querySelectorAll(".toast-msg");
    if (toasts.length) dismiss(toasts[toasts.length - 1]);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".toast-msg[data-autohide]").forEach(autohide);
  });
})();
