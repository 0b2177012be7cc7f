// Upload page: refuse an oversized file before sending it, show the bytes as they go, and let
// htmx swap in the server's refusal (422) so the one-line reason appears in place.
(function () {
  "use strict";

  function form() { return document.getElementById("upload-form"); }

  function showError(message) {
    const box = document.getElementById("upload-error");
    if (!box) return;
    box.textContent = message;
    box.hidden = !message;
  }

  function tooLarge(input) {
    const f = form();
    if (!f || !input || !input.files || !input.files.length) return false;
    const max = Number(f.dataset.maxBytes || 0);
    return max > 0 && input.files[0].size > max;
  }

  function checkSize(input) {
    if (tooLarge(input)) {
      showError("The file is larger than the " + form().dataset.maxLabel + " limit.");
      return false;
    }
    showError("");
    return true;
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_file") checkSize(event.target);
  });

  document.addEventListener("htmx:confirm", function (event) {
    if (event.target !== form()) return;
    if (!checkSize(document.getElementById("id_file"))) event.preventDefault();
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target !== form()) return;
    const box = document.getElementById("upload-progress");
    if (box) box.hidden = false;
    const button = document.getElementById("upload-submit");
    if (button) { button.disabled = true; button.textContent = "Uploading…"; }
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    if (event.target !== form() || !event.detail.lengthComputable) return;
    const percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    const bar = document.getElementById("upload-bar");
    const label = document.getElementById("upload-percent");
    if (bar) bar.value = percent;
    if (label) label.textContent = percent + "%";
    // Tests and assistive tech can see the furthest point reached, even after a fast upload.
    const f = form();
    f.dataset.progressMax = String(Math.max(Number(f.dataset.progressMax || 0), percent));
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    // 422 (a field or file refused) and 429 (the hourly upload limit) carry the form with its reason.
    if (event.detail.xhr && (event.detail.xhr.status === 422 || event.detail.xhr.status === 429)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.target !== form() || event.detail.successful) return;
    const button = document.getElementById("upload-submit");
    if (button) { button.disabled = false; button.textContent = "Upload"; }
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status !== 422 && status !== 429) showError("The upload did not go through. Try again.");
  });
})();
