/*
 * Live character counters for network variants: <textarea data-network="x|linkedin|generic" data-limit="280">.
 * Counts exactly like content/text.py (same ranges, same URL and emoji patterns): keep the two in step.
 *
 * Shared samples (asserted in tests/content/test_text.py, and by the browser test on this file):
 *   "Hello world"                                   x: 11   linkedin: 11
 *   "Read https://example.com/q3?x=1 now."           x: 33   linkedin: 36
 *   "日本語 👨‍👩‍👧‍👦 🇫🇷"                                  x: 12   linkedin: 14
 *   "see example.com and t.co/abc, not example.fr"   x: 71   linkedin: 44
 */
(function () {
  "use strict";

  var X_URL_LENGTH = 23;
  var X_LIGHT_RANGES = [[0x0000, 0x10ff], [0x2000, 0x200d], [0x2010, 0x201f], [0x2032, 0x2037]];
  var BARE_GTLDS =
    "com|org|net|edu|gov|mil|int|info|biz|name|pro|app|dev|blog|news|shop|store|online|site|tech|xyz|club|page|" +
    "cloud|media|agency|digital|email|link|live|world|today|company|group|jobs|careers|travel|museum|aero|coop|" +
    "mobi|asia|tel|co|tv";
  var LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
  var END = "(?![A-Za-z0-9_-])";
  var PORT_PATH = "(?::[0-9]{1,5})?(?:/(?:[^\\s]*[^\\s.,!?;:'\")\\]}>])?)?";
  var URL_RE = new RegExp(
    "(?<![A-Za-z0-9_@.#$/-])(?:" +
      "https?://(?:" + LABEL + "\\.)+[A-Za-z]{2,63}" + END +
      "|(?:" + LABEL + "\\.)+(?:" + BARE_GTLDS + ")" + END +
      "|" + LABEL + "\\.(?:" + LABEL + "\\.)+[A-Za-z]{2}" + END +
      "|" + LABEL + "\\.[A-Za-z]{2}(?=/)" +
      ")" + PORT_PATH,
    "gu"
  );
  var PICTOGRAPH = "[\\u2190-\\u21ff\\u2300-\\u23ff\\u2460-\\u24ff\\u25a0-\\u27bf\\u2900-\\u297f\\u2b00-\\u2bff\\u{1f000}-\\u{1faff}]";
  var MODIFIER = "[\\ufe0f\\u{1f3fb}-\\u{1f3ff}\\u{e0020}-\\u{e007f}]";
  var EMOJI_RE = new RegExp(
    "[\\u{1f1e6}-\\u{1f1ff}]{2}" +
      "|[0-9#*]\\ufe0f?\\u20e3" +
      "|[\\u00a9\\u00ae\\u203c\\u2049\\u2122\\u2139]\\ufe0f" +
      "|" + PICTOGRAPH + MODIFIER + "*(?:\\u200d" + PICTOGRAPH + MODIFIER + "*)*",
    "gu"
  );

  function weight(char) {
    var code = char.codePointAt(0);
    for (var i = 0; i < X_LIGHT_RANGES.length; i++) {
      if (code >= X_LIGHT_RANGES[i][0] && code <= X_LIGHT_RANGES[i][1]) return 1;
    }
    return 2;
  }

  function plainWeight(text) {
    var total = 0;
    for (var char of text) total += weight(char);
    return total;
  }

  function spansWeight(text, pattern, spanWeight, between) {
    var total = 0;
    var position = 0;
    pattern.lastIndex = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      total += between(text.slice(position, match.index)) + spanWeight;
      position = match.index + match[0].length;
    }
    return total + between(text.slice(position));
  }

  function emojiWeight(text) {
    return spansWeight(text, EMOJI_RE, 2, plainWeight);
  }

  function xWeightedLength(text) {
    return spansWeight(text.normalize("NFC"), URL_RE, X_URL_LENGTH, emojiWeight);
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
