/*
 * Live LinkedIn and X previews (templates/includes/network_preview.html), redrawn in the browser as one types: no
 * request. The rules mirror the server's, which renders the first view (content/network_preview.py and
 * charter.compliance.with_disclosure); tests/content/test_network_preview.py runs both on the same texts. Lengths
 * come from counter.js (X's own twitter-text), loaded before this file.
 */
(function () {
  "use strict";

  var APOSTROPHES = /[\u2019\u2018\u02bc\u2032\uff07]/g;
  // Python drops the marks of a non-zero combining class; nonspacing marks are those, give or take a few Indic
  // vowel signs, which the fold drops on both sides of the comparison alike.
  var MARKS = /\p{Mn}/gu;

  function fold(text) {
    // casefold() differs from toLowerCase() on a handful of letters; these two occur in Latin and Greek captions.
    return text
      .replace(APOSTROPHES, "'")
      .normalize("NFKD")
      .replace(MARKS, "")
      .toLowerCase()
      .replace(/ß/g, "ss")
      .replace(/ς/g, "σ");
  }

  function withDisclosure(text, disclosure) {
    if (!disclosure || fold(text).indexOf(fold(disclosure)) !== -1) return text;
    return text.replace(/\s+$/, "") + "\n\n" + disclosure;
  }

  function finalText(network, text, disclosure, link) {
    text = (text || "").trim();
    if (!text) return "";
    var full = withDisclosure(text, (disclosure || "").trim());
    if (network === "x" && link && full.indexOf(link) === -1) full = full + " " + link;
    return full;
  }

  function linkedinFold(text, lines, chars) {
    var shown = Array.from(text.split("\n").slice(0, lines).join("\n")).slice(0, chars).join("");
    if (shown === text) return { shown: text, folded: false };
    return { shown: shown.replace(/\s+$/, ""), folded: true };
  }

  function hostname(link) {
    try {
      return new URL(link).hostname || link;
    } catch (error) {
      return link;
    }
  }

  function attach(root) {
    var boxes = Array.prototype.slice.call(document.querySelectorAll(root.dataset.texts));
    var linkInput = root.dataset.linkInput ? document.querySelector(root.dataset.linkInput) : null;
    var foldLines = parseInt(root.dataset.foldLines, 10);
    var foldChars = parseInt(root.dataset.foldChars, 10);
    var lastTyped = {};
    var pending = false;

    function firstFilled(candidates) {
      for (var i = 0; i < candidates.length; i++) {
        if (candidates[i].value.trim()) return candidates[i].value;
      }
      return "";
    }

    // A network previews the box of its own last typed in, else its first filled box, else any first filled box
    // (the server starts from the latter two).
    function textFor(network) {
      var own = boxes.filter(function (box) {
        return !box.dataset.network || box.dataset.network === network;
      });
      var last = lastTyped[network];
      if (last && last.value.trim()) return last.value;
      return firstFilled(own) || firstFilled(boxes);
    }

    function drawCard(link) {
      var stored = link && link === root.dataset.cardUrl;
      root.querySelectorAll("[data-preview-card]").forEach(function (card) {
        card.hidden = !link;
        card.querySelector("[data-preview-card-title]").textContent = stored ? root.dataset.cardTitle : link;
        card.querySelector("[data-preview-card-site]").textContent = stored ? root.dataset.cardSite : hostname(link);
        var image = card.querySelector("[data-preview-card-image]");
        var source = stored ? root.dataset.cardImage : "";
        if (source) image.src = source;
        else image.removeAttribute("src");
        image.hidden = !source;
      });
    }

    function draw() {
      pending = false;
      var link = linkInput ? linkInput.value.trim() : root.dataset.link;
      drawCard(link);
      root.querySelectorAll("[data-preview-network]").forEach(function (article) {
        var network = article.dataset.previewNetwork;
        var text = finalText(network, textFor(network), article.dataset.disclosure, link);
        var view = network === "linkedin" ? linkedinFold(text, foldLines, foldChars) : { shown: text, folded: false };
        article.querySelector("[data-preview-text]").textContent = view.shown;
        article.querySelector("[data-preview-more]").hidden = !view.folded;
        article.querySelector("[data-preview-empty]").hidden = Boolean(text);
        var length = window.RelaisCounter.networkLength(network, text);
        var limit = parseInt(article.dataset.limit, 10);
        var over = length > limit;
        var count = article.querySelector("[data-preview-count]");
        count.textContent = length + " / " + limit;
        count.classList.toggle("text-bg-danger", over);
        count.classList.toggle("text-bg-light", !over);
        article.querySelector("[data-preview-over]").hidden = !over;
      });
    }

    // One redraw per frame however fast one types.
    function schedule() {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(draw);
    }

    boxes.forEach(function (box) {
      box.addEventListener("input", function () {
        if (box.dataset.network) lastTyped[box.dataset.network] = box;
        else {
          lastTyped.linkedin = box;
          lastTyped.x = box;
        }
        schedule();
      });
    });
    if (linkInput) linkInput.addEventListener("input", schedule);
    draw();
  }

  function init() {
    document.querySelectorAll("[data-network-preview]").forEach(attach);
  }

  window.RelaisPreview = { finalText: finalText, linkedinFold: linkedinFold };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
