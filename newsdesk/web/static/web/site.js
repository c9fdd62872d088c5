// Progressive enhancement for every page; the site works without it.
(function () {
  "use strict";

  // Follow boxes: tell the accounts app the reader's time zone, so the morning digest
  // arrives in their morning. Without this the account starts in UTC.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var fields = document.querySelectorAll('form.follow input[name="time_zone"]');
    for (var i = 0; i < fields.length; i++) {
      if (!fields[i].value && zone) { fields[i].value = zone; }
    }
  } catch (e) { /* old browser: UTC it is */ }

  // "Share post": without JavaScript the box offers an email link and a selectable link
  // field. With it, "Copy link" uses the Clipboard API and "Share…" opens the device's
  // share sheet (Web Share API).
  var box = document.querySelector(".share-actions");
  if (!box) { return; }
  var url = box.getAttribute("data-share-url");
  var title = box.getAttribute("data-share-title");
  var status = document.querySelector(".share-status");
  function say(message) { if (status) { status.textContent = message; } }

  var copy = box.querySelector(".share-copy-button");
  if (copy && navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(url).then(
        function () { say("Link copied."); },
        function () { say("Could not copy; select the link and copy it instead."); }
      );
    });
  }

  var native = box.querySelector(".share-native-button");
  if (native && navigator.share) {
    native.hidden = false;
    native.addEventListener("click", function () {
      navigator.share({ title: title, url: url }).catch(function () { /* dismissed */ });
    });
  }
})();
