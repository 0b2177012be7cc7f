// Site-wide behaviour. No inline script anywhere (the Content-Security-Policy forbids it).
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    // The token in <body hx-headers> covers htmx; this covers any request htmx rebuilt.
    const token = document.querySelector("[name=csrfmiddlewaretoken]");
    if (token && !event.detail.headers["X-CSRFToken"]) event.detail.headers["X-CSRFToken"] = token.value;
  });
})();
