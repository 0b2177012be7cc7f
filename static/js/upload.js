// Upload page: every field is checked in the browser before a byte of the file is sent (the
// browser's own constraint validation, plus the rules it cannot express: at least one category,
// the size and the length of the clip), each error is written beside its field where screen
// readers find it (<field id>_error, named by aria-describedby), the bytes are shown as they go,
// and a refusal from the server (422) is swapped in without losing the chosen file.
(function () {
  "use strict";

  const CATEGORY_MESSAGE = "Pick at least one category.";

  function form() { return document.getElementById("upload-form"); }
  function fileInput() { return document.getElementById("id_file"); }

  function showError(message) {
    const box = document.getElementById("upload-error");
    if (!box) return;
    box.textContent = message;
    box.hidden = !message;
  }

  // --- Errors beside each field -------------------------------------------------------------
  function controls(name) { return form().querySelectorAll("[name='" + name + "']"); }

  function fieldError(name, message) {
    const first = controls(name)[0];
    if (!first) return;
    const field = first.closest(".field");
    const id = "id_" + name + "_error";
    let box = document.getElementById(id);
    if (!box && message) {
      box = document.createElement("div");
      box.className = "error";
      box.id = id;
      box.setAttribute("role", "alert");
      field.appendChild(box);
    }
    if (box) { box.textContent = message; box.hidden = !message; }
    if (field) field.classList.toggle("has-error", !!message);
    controls(name).forEach(function (el) {
      const ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== id; });
      if (message) { ids.push(id); el.setAttribute("aria-invalid", "true"); } else { el.removeAttribute("aria-invalid"); }
      if (ids.length) el.setAttribute("aria-describedby", ids.join(" ")); else el.removeAttribute("aria-describedby");
    });
  }

  // --- Rules the markup cannot express ------------------------------------------------------
  function checkCategories() {
    const boxes = controls("categories");
    if (!boxes.length) return;
    const picked = Array.prototype.some.call(boxes, function (b) { return b.checked; });
    boxes[0].setCustomValidity(picked ? "" : CATEGORY_MESSAGE);
  }

  function checkSize(input) {
    const f = form();
    const max = Number(f.dataset.maxBytes || 0);
    if (input && input.files && input.files.length && max > 0 && input.files[0].size > max) {
      const message = "The file is larger than the " + f.dataset.maxLabel + " limit.";
      input.setCustomValidity(message);
      showError(message);
      return false;
    }
    if (input && input.validationMessage.indexOf("larger than the") !== -1) input.setCustomValidity("");
    showError("");
    return true;
  }

  // The clip's length, read from its metadata where the browser can decode it; a file it cannot
  // read is left to the server, which measures every upload anyway.
  function checkLength(input) {
    const f = form();
    if (!input || !input.files || !input.files.length) return;
    const min = Number(f.dataset.minSeconds || 0);
    const max = Number(f.dataset.maxSeconds || 0);
    const probe = document.createElement("video");
    const url = URL.createObjectURL(input.files[0]);
    probe.preload = "metadata";
    probe.muted = true;
    probe.addEventListener("loadedmetadata", function () {
      const seconds = probe.duration;
      URL.revokeObjectURL(url);
      if (!isFinite(seconds)) return;
      let message = "";
      if (min && seconds < min) message = "The video is " + seconds.toFixed(1) + " s long; it must be at least " + min + " s.";
      else if (max && seconds > max) message = "The video is " + Math.round(seconds) + " s long; it may be at most " + max + " s.";
      if (!input.validity.customError || input.validationMessage.indexOf("The video is") === 0) input.setCustomValidity(message);
      fieldError("file", message);
    });
    probe.addEventListener("error", function () { URL.revokeObjectURL(url); });
    probe.src = url;
  }

  function refresh() {
    if (!form()) return;
    checkCategories();
    checkSize(fileInput());
  }

  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSettle", refresh);

  // The browser fires "invalid" on each control that stops a submit (before any request).
  document.addEventListener("invalid", function (event) {
    const el = event.target;
    if (!form() || el.form !== form()) return;
    fieldError(el.name, el.validationMessage);
  }, true);

  function recheck(event) {
    const el = event.target;
    if (!form() || !el || el.form !== form() || !el.name) return;
    if (el.name === "categories") checkCategories();
    if (el.id === "id_file" && event.type === "change") {
      el.setCustomValidity("");
      checkSize(el);
      checkLength(el);
    }
    const first = controls(el.name)[0];
    if (first && first.checkValidity()) fieldError(el.name, "");
  }
  document.addEventListener("input", recheck);
  document.addEventListener("change", recheck);

  document.addEventListener("htmx:confirm", function (event) {
    if (event.target !== form()) return;
    refresh();
    if (!form().reportValidity()) event.preventDefault();
  });

  let sendStarted = 0;
  function timeLeft(loaded, total) {
    const elapsed = (Date.now() - sendStarted) / 1000;
    if (!sendStarted || loaded < total * 0.05 || elapsed < 1) return "";
    const seconds = (elapsed * (total - loaded)) / loaded;
    if (seconds < 60) return " · about " + Math.max(5, Math.round(seconds / 5) * 5) + " s left";
    return " · about " + Math.round(seconds / 60) + " min left";
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target !== form()) return;
    sendStarted = Date.now();
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
    if (label) label.textContent = "Uploading: " + percent + "%" + (percent < 100 ? timeLeft(event.detail.loaded, event.detail.total) : "");
    // Tests and assistive tech can see the furthest point reached, even after a fast upload.
    const f = form();
    f.dataset.progressMax = String(Math.max(Number(f.dataset.progressMax || 0), percent));
  });

  // The chosen file survives the server's refusal: the swapped-in form gets the same File back.
  let keptFiles = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    // 422 (a field or file refused) and 429 (the hourly upload limit) carry the form with its reason.
    if (event.detail.xhr && (event.detail.xhr.status === 422 || event.detail.xhr.status === 429)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      const input = fileInput();
      keptFiles = input && input.files && input.files.length ? input.files : null;
    }
  });

  document.addEventListener("htmx:afterSwap", function () {
    const input = fileInput();
    if (!keptFiles || !input) return;
    input.files = keptFiles;
    keptFiles = null;
    const note = document.getElementById("upload-file-kept");
    if (note) { note.textContent = "Still selected: " + input.files[0].name; note.hidden = false; }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.target !== form() || event.detail.successful) return;
    const button = document.getElementById("upload-submit");
    if (button) { button.disabled = false; button.textContent = "Upload"; }
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status !== 422 && status !== 429) showError("The upload did not go through. Try again.");
  });
})();
