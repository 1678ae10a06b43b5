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

  // Disclosure menus in the top bar: close on Escape (focus back on the toggle) and on a click elsewhere.
  function menus() {
    return document.querySelectorAll("details.menu[open]");
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    menus().forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    menus().forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
})();
