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

  // Good news fades after a while; errors and warnings stay until the reader closes them.
  function fadeMessages() {
    if (!window.bootstrap) return;
    document.querySelectorAll('.messages .toast[data-relais-autohide="true"]').forEach(function (toast) {
      window.bootstrap.Toast.getOrCreateInstance(toast, { autohide: true, delay: 8000 }).show();
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fadeMessages);
  } else {
    fadeMessages();
  }
})();
