// The language switch never loses what was chosen or typed: unsaved answers and drafts are saved first
// (10-autosave.js); if that fails, the page stays and says why instead of switching.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form.language-switch"), function (form) {
      form.addEventListener("submit", function (event) {
        var autosave = window.lmsAutosave;
        if (form.dataset.saved === "1" || !autosave || !autosave.pending()) {
          if (autosave) {
            autosave.leave();
          }
          return;
        }
        event.preventDefault();
        var submitter = event.submitter;
        autosave.flush().then(function (ok) {
          if (!ok) {
            var error = document.querySelector("[data-autosave-error]:not(:empty)");
            if (error) {
              error.scrollIntoView({ block: "center" });
            }
            return;
          }
          form.dataset.saved = "1";
          autosave.leave();
          form.requestSubmit(submitter || undefined);
        });
      });
    });
  });
})();
