// Welcome tour (ambassadors/views/onboarding.py): a member who has not chosen a time zone yet starts from their
// device's, so "Continue" saves the right one without a search through four hundred cities. Runs after the
// time-zone picker (timezone.js), and changes nothing once a zone is chosen.
(function () {
  "use strict";

  function deviceZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function prefill(root) {
    var zone = deviceZone();
    if (!zone) return;
    root.querySelectorAll("select[data-prefill-device-zone]").forEach(function (select) {
      if (select.value) return;
      var option = Array.prototype.find.call(select.options, function (candidate) {
        return candidate.value === zone;
      });
      if (option) option.selected = true;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { prefill(document); });
  } else {
    prefill(document);
  }
})();
