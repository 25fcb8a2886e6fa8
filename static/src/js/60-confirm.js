// Confirmation dialogs (<dialog>) for actions that cannot be undone. A link marked data-confirm (its page asks
// first without scripts) is confirmed here and POSTed by the dialog's own form (CSRF token included); a form
// marked data-confirm is sent once the dialog is confirmed.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var dialog = document.querySelector("dialog[data-confirm-dialog]");
    if (!dialog || typeof dialog.showModal !== "function") {
      return;
    }
    var dialogForm = dialog.querySelector("form[data-confirm-form]");
    var pendingForm = null;
    var opener = null;

    function open(source, trigger) {
      dialog.querySelector("[data-confirm-title]").textContent = source.dataset.confirmTitle || "";
      dialog.querySelector("[data-confirm-text]").textContent = source.dataset.confirmText || "";
      dialog.querySelector("[data-confirm-yes]").textContent = source.dataset.confirmYes || "OK";
      opener = trigger;
      dialog.showModal();
      dialog.querySelector("[data-confirm-cancel]").focus();
    }

    document.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-confirm]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
        return;
      }
      event.preventDefault();
      pendingForm = null;
      dialogForm.setAttribute("action", link.href);
      open(link, link);
    });

    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form === dialogForm) {
        if (pendingForm) {
          event.preventDefault();
          var target = pendingForm;
          pendingForm = null;
          dialog.close();
          target.dataset.confirmed = "1";
          target.requestSubmit(target.lmsSubmitter || undefined);
        }
        return; // a confirmed link: the dialog's form posts to it
      }
      if (!form.matches("form[data-confirm]") || form.dataset.confirmed === "1") {
        return;
      }
      event.preventDefault();
      pendingForm = form;
      form.lmsSubmitter = event.submitter || null;
      open(form, event.submitter || form);
    });

    dialog.querySelector("[data-confirm-cancel]").addEventListener("click", function () {
      dialog.close();
    });
    dialog.addEventListener("close", function () {
      pendingForm = null;
      if (opener && document.contains(opener)) {
        opener.focus();
      }
    });
  });
})();
