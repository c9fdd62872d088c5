// Progressive enhancement for the "Share post" box: without JavaScript the box already
// offers an email link and a selectable link field. With it, a "Copy link" button uses
// the Clipboard API and a "Share…" button opens the device's share sheet (Web Share API).
(function () {
  "use strict";
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
