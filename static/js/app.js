// Shipshape's small behaviours. No inline script anywhere: everything is wired here.
(function () {
  "use strict";

  // Copy a command to the clipboard; the button says so for a moment.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    return Promise.resolve();
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    copyText(source.textContent).then(function () {
      button.classList.add("copied");
      button.setAttribute("aria-label", "Copied");
      setTimeout(function () {
        button.classList.remove("copied");
        button.setAttribute("aria-label", "Copy command");
      }, 1600);
    });
  });

  // A link to an item or sign-off inside a closed section opens the section first.
  function reveal(hash) {
    if (!hash || hash.length < 2) return;
    const target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!target) return;
    let node = target.parentElement;
    while (node) {
      if (node.tagName === "DETAILS") node.open = true;
      node = node.parentElement;
    }
    target.scrollIntoView({ block: target.offsetHeight > innerHeight / 2 ? "start" : "center" });
    const focusable = target.querySelector("input:not([type=hidden]), button, a");
    if (focusable) focusable.focus({ preventScroll: true });
  }
  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[href^='#']");
    if (!link) return;
    const hash = link.getAttribute("href");
    if (document.getElementById(hash.slice(1))) {
      event.preventDefault();
      history.replaceState(null, "", hash);
      reveal(hash);
    }
  });
  window.addEventListener("DOMContentLoaded", function () { reveal(location.hash); });

  // Escape closes the account menu, focus back on its toggle.
  document.addEventListener("keydown", function (event) {
    const menu = event.key === "Escape" && event.target.closest(".usermenu[open]");
    if (menu) { menu.open = false; menu.firstElementChild.focus(); }
  });

  // Filters apply as soon as a select changes.
  document.addEventListener("change", function (event) {
    const select = event.target.closest("form.filters select");
    if (select) select.form.requestSubmit();
  });

  // The readiness bar is replaced out of band; a live region that stays put says
  // the new score, since a replaced region is not reliably announced.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    const target = event.detail.target;
    const announcer = document.getElementById("announcer");
    if (!announcer || !target || target.id !== "readiness-bar") return;
    const title = document.getElementById("readiness-title");
    if (title) announcer.textContent = "Readiness now " + title.textContent.trim();
  });

  // After a failed submit, focus the first error.
  function focusError(root) {
    const error = root && root.querySelector("[aria-invalid=true], .error-box[role=alert], .flash-error");
    if (!error) return;
    if (!error.matches("input, select, textarea")) error.tabIndex = -1;
    error.focus();
  }
  window.addEventListener("DOMContentLoaded", function () { focusError(document.getElementById("main")); });
  document.addEventListener("htmx:afterSettle", function (event) {
    const detail = event.detail;
    // An outerHTML swap replaced the target: its successor has its id.
    if (detail.requestConfig.verb === "post") focusError(document.getElementById(detail.target.id) || detail.elt);
  });

  // htmx does not swap error responses: say what happened instead of failing silently.
  function toast(message) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 5000);
  }
  document.addEventListener("htmx:responseError", function (event) {
    const status = event.detail.xhr.status;
    if (status === 403) toast("Your role does not allow this change.");
    else if (status === 404) toast("This no longer exists. Reload the page.");
    else toast("Something went wrong (" + status + "). Reload the page and try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server could not be reached. Check your connection and try again.");
  });
})();
