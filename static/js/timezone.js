// Time-zone picker (advocacy/timezones.py): the select works without this file; this adds a filter box above it
// and offers the device's own zone at the top of the list. Loaded as a deferred file: the CSP allows no inline script.
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function deviceZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function suggestDeviceZone(select) {
    var zone = deviceZone();
    if (!zone || select.value === zone) return;
    var option = Array.prototype.find.call(select.options, function (candidate) {
      return candidate.value === zone;
    });
    if (!option) return;
    var group = document.createElement("optgroup");
    group.label = select.dataset.suggestedLabel;
    group.dataset.suggestion = "";
    group.appendChild(new Option(option.text, option.value));
    var first = select.firstElementChild;
    // After the empty choice ("the organisation's time zone") when there is one, so it stays the first line.
    var anchor = first && first.tagName === "OPTION" && first.value === "" ? first.nextSibling : first;
    select.insertBefore(group, anchor);
  }

  function addFilter(select) {
    var filter = document.createElement("input");
    filter.type = "search";
    filter.className = "form-control form-control-sm mb-1";
    filter.placeholder = select.dataset.filterLabel;
    filter.setAttribute("aria-label", select.dataset.filterLabel);
    filter.setAttribute("aria-controls", select.id);
    filter.autocomplete = "off";
    select.parentNode.insertBefore(filter, select);
    filter.addEventListener("input", function () {
      var words = fold(filter.value).split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(select.options, function (option) {
        var text = fold(option.text + " " + option.value);
        // The selected choice and the empty one stay visible: hiding them would look as if the value changed.
        option.hidden = !option.selected && option.value !== "" && !words.every(function (word) {
          return text.indexOf(word) !== -1;
        });
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        group.hidden = !Array.prototype.some.call(group.children, function (option) { return !option.hidden; });
      });
    });
  }

  function enhance(root) {
    root.querySelectorAll("select[data-time-zone-picker]:not([data-enhanced])").forEach(function (select) {
      select.dataset.enhanced = "";
      suggestDeviceZone(select);
      addFilter(select);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  } else {
    enhance(document);
  }
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
