// The composer (templates/ambassadors/composer.html): start from another suggestion, add a personal angle, show the
// date only when scheduling, and send once. Without this file the page still works: suggestions are links, the date
// is always shown, and the server makes one share of two clicks.
(function () {
  "use strict";

  function init() {
    var form = document.querySelector("[data-composer]");
    if (!form) return;
    var text = form.querySelector("textarea[name=text]");
    var variantInput = form.querySelector("input[name=variant]");
    var started = text.value;

    function changed() {
      text.dispatchEvent(new Event("input", { bubbles: true }));
    }

    form.querySelectorAll("[data-variant]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        var replacement = button.dataset.variantText;
        if (text.value !== started && text.value !== replacement && !window.confirm(form.dataset.replaceQuestion)) return;
        text.value = replacement;
        started = replacement;
        if (variantInput) variantInput.value = button.dataset.variant;
        form.querySelectorAll("[data-variant]").forEach(function (other) {
          var current = other === button;
          other.classList.toggle("btn-secondary", current);
          other.classList.toggle("btn-outline-secondary", !current);
          if (current) other.setAttribute("aria-current", "true");
          else other.removeAttribute("aria-current");
        });
        changed();
      });
    });

    form.querySelectorAll("[data-angle]").forEach(function (button) {
      button.addEventListener("click", function () {
        var starter = button.dataset.angle;
        text.value = starter + "\n\n" + text.value.replace(/^\s+/, "");
        text.focus();
        text.setSelectionRange(starter.length, starter.length);
        changed();
      });
    });

    // Another network offers its own suggestions: reload them while the member has not written anything yet.
    form.querySelectorAll("[data-composer-network]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (text.value === started) window.location.search = "?network=" + encodeURIComponent(radio.value);
      });
    });

    var at = form.querySelector("[data-composer-at]");
    var whens = form.querySelectorAll("input[name=when]");
    function showAt() {
      var later = form.querySelector("input[name=when]:checked");
      at.hidden = !(later && later.value === "later");
    }
    whens.forEach(function (radio) {
      radio.addEventListener("change", function () {
        showAt();
        document.body.dispatchEvent(new Event("composer:changed"));
      });
    });
    if (at) showAt();

    var submitted = false;
    form.addEventListener("submit", function (event) {
      if (submitted) {
        event.preventDefault();
        return;
      }
      submitted = true;
      form.querySelectorAll("[data-composer-submit]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
        button.classList.add("disabled");
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
