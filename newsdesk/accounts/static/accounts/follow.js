// The follow page: send the browser's time zone so the digest arrives in the reader's
// morning. Without JavaScript the account starts in UTC.
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var fields = document.querySelectorAll('input[name="time_zone"]');
    for (var i = 0; i < fields.length; i++) {
      if (!fields[i].value && zone) { fields[i].value = zone; }
    }
  } catch (e) { /* old browser: UTC it is */ }
})();
