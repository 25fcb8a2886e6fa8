// Copy buttons beside share and verification links (the link stays a selectable read-only field without them).
(function () {
  "use strict";

  function fallbackCopy(input) {
    input.focus();
    input.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
      var input = document.getElementById(button.dataset.copy);
      var status = button.nextElementSibling && button.nextElementSibling.matches("[data-copy-status]")
        ? button.nextElementSibling : null;
      if (!input) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        var done = function (ok) {
          if (status) {
            status.textContent = ok ? button.dataset.i18nCopied : button.dataset.i18nCopyFailed;
          }
          if (!ok) {
            input.focus();
            input.select();
          }
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(function () { done(true); },
            function () { done(fallbackCopy(input)); });
        } else {
          done(fallbackCopy(input));
        }
      });
    });
  });
})();
