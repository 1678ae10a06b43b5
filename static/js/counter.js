/*
 * Live character counters for network variants: <textarea data-network="x|linkedin|generic" data-limit="280">.
 * X's length is X's own library's (twitter-text 3.1.0, static/vendor/twitter-text-3.1.0.min.js, loaded before this
 * file), as content/text.py counts on the server with its Python port; LinkedIn's is the number of code points.
 * tests/content/test_text.py runs both on the same generated texts.
 */
(function () {
  "use strict";

  function xWeightedLength(text) {
    return window.twttr.txt.parseTweet(text).weightedLength;
  }

  function codePointLength(text) {
    return Array.from(text).length;
  }

  function networkLength(network, text) {
    return network === "x" ? xWeightedLength(text) : codePointLength(text);
  }

  function attach(textarea) {
    var network = textarea.dataset.network;
    var limit = parseInt(textarea.dataset.limit || "", 10);
    var output = document.createElement("output");
    output.className = "char-counter";
    if (textarea.id) output.htmlFor = textarea.id;
    // Announce only crossings of the limit: a live region read out on every keystroke would drown the typing.
    var announcer = document.createElement("span");
    announcer.className = "visually-hidden";
    announcer.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", announcer);
    textarea.insertAdjacentElement("afterend", output);
    var wasOver = false;

    function update() {
      var length = networkLength(network, textarea.value);
      var over = !isNaN(limit) && length > limit;
      output.textContent = isNaN(limit) ? String(length) : length + " / " + limit;
      output.classList.toggle("over-limit", over);
      if (over) textarea.setAttribute("aria-invalid", "true");
      else textarea.removeAttribute("aria-invalid");
      if (over !== wasOver) {
        var template = over ? textarea.dataset.overMessage : textarea.dataset.underMessage;
        var fallback = over ? output.textContent : "";
        announcer.textContent = template
          ? template.replace("%(length)s", length).replace("%(limit)s", limit)
          : fallback;
        wasOver = over;
      }
    }

    textarea.addEventListener("input", update);
    update();
  }

  function init() {
    document.querySelectorAll("textarea[data-network]").forEach(attach);
  }

  window.RelaisCounter = { xWeightedLength: xWeightedLength, networkLength: networkLength, init: init };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
