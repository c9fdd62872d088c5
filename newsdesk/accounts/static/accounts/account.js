// Account pages: preselect the browser's time zone on sign-up, so the morning digest
// arrives in the reader's morning. Without JavaScript the reader picks it (UTC first).
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var selects = document.querySelectorAll('select[data-browser-zone="guess"]');
    for (var i = 0; i < selects.length; i++) {
      var select = selects[i];
      var touched = select.value && select.value !== "UTC";
      if (!touched && zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) {
        select.value = zone;
      }
    }
  } catch (e) { /* old browser: the reader chooses */ }
})();
