// "Try a text": a new network means a new limit. counter.js reads it once per textarea, so put a fresh textarea
// (same text) in place.
(function () {
  "use strict";
  function init() {
    var select = document.getElementById("id_network");
    if (!select) return;
    select.addEventListener("change", function () {
      var old = document.getElementById("id_text");
      var fresh = old.cloneNode(true);
      var limit = select.options[select.selectedIndex].dataset.limit;
      fresh.dataset.network = select.value;
      if (limit) fresh.dataset.limit = limit;
      else delete fresh.dataset.limit;
      // The counter's <output> and its live region follow the textarea.
      while (old.nextElementSibling && (old.nextElementSibling.matches("output.char-counter") || old.nextElementSibling.hasAttribute("aria-live"))) {
        old.nextElementSibling.remove();
      }
      old.replaceWith(fresh);
      window.RelaisCounter.init();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
