// Behaviour shared by every page. Loaded as a file: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  // Topic colours are data: the policy refuses style="..." attributes, not styles set from a script.
  function paintTopics(root) {
    root.querySelectorAll("[data-topic-colour]").forEach(function (badge) {
      badge.style.setProperty("--topic", badge.dataset.topicColour);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { paintTopics(document); });
  } else {
    paintTopics(document);
  }
  document.addEventListener("htmx:load", function (event) { paintTopics(event.target); });

  // Good news goes away after a while; errors and warnings stay until the reader closes them. The toasts are drawn
  // shown by the server: calling show() again would replay Bootstrap's entrance from transparent.
  function fadeMessages() {
    if (!window.bootstrap) return;
    document.querySelectorAll('.messages .toast[data-relais-autohide="true"]').forEach(function (toast) {
      window.setTimeout(function () {
        window.bootstrap.Toast.getOrCreateInstance(toast, { autohide: false }).hide();
      }, 8000);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fadeMessages);
  } else {
    fadeMessages();
  }
})();
