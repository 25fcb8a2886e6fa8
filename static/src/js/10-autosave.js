// Background saving of forms marked data-autosave (quiz answers, assignment drafts).
// A change is saved at most a second after it was made (a choice after 0.3 s), one request at a time, through
// the form's own URL, fields and CSRF token with the header "X-Requested-With: fetch": the server runs the same
// code as the Save button and answers JSON ({ok, message, lock?} or {ok: false, error}). The page shows
// "Saved 12:03" or why saving failed; leaving with unsaved changes asks first. Files are never sent in the
// background (they go with the form's buttons). Other scripts use window.lmsAutosave (flush before leaving).
(function () {
  "use strict";
  var TYPING_DELAY = 1000;
  var CHOICE_DELAY = 300;
  var RETRY_DELAY = 5000;
  var savers = [];
  var leaving = false;

  function Saver(form) {
    this.form = form;
    this.box = form.querySelector("[data-autosave-box]");
    this.status = form.querySelector("[data-autosave-status]");
    this.error = form.querySelector("[data-autosave-error]");
    this.generation = 0;
    this.saved = 0;
    this.timer = null;
    this.inFlight = null;
    this.blocked = false;
    var self = this;
    form.addEventListener("input", function (event) { self.changed(event, TYPING_DELAY); });
    form.addEventListener("change", function (event) { self.changed(event, CHOICE_DELAY); });
    form.addEventListener("submit", function (event) { self.submitting(event); });
  }

  Saver.prototype.dirty = function () {
    return this.generation !== this.saved;
  };

  Saver.prototype.filesChosen = function () {
    return Array.prototype.some.call(this.form.querySelectorAll("input[type=file]"), function (input) {
      return input.files && input.files.length > 0;
    });
  };

  Saver.prototype.show = function (status, error) {
    if (this.box) {
      this.box.hidden = false;
    }
    if (this.status && status !== null) {
      this.status.textContent = status;
    }
    if (this.error) {
      this.error.textContent = error || "";
      this.error.hidden = !error;
    }
    this.form.classList.toggle("autosave-failed", Boolean(error));
  };

  Saver.prototype.changed = function (event, delay) {
    if (event.target && event.target.type === "file") {
      return; // a chosen file is sent by the buttons; leaving the page still asks (filesChosen)
    }
    this.generation += 1;
    if (!this.blocked) {
      this.show(this.form.dataset.i18nUnsaved, null);
      this.schedule(delay);
    }
  };

  Saver.prototype.schedule = function (delay) {
    var self = this;
    if (this.timer === null) {
      this.timer = window.setTimeout(function () { self.save(); }, delay);
    }
  };

  // Save now if anything is unsaved; resolves true once everything shown is saved, false if it could not be.
  Saver.prototype.save = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight) {
      return this.inFlight.then(function () { return self.dirty() ? self.save() : !self.blocked; });
    }
    if (!this.dirty()) {
      return Promise.resolve(true);
    }
    if (this.blocked) {
      return Promise.resolve(false);
    }
    if (this.form.querySelector(".sortable-chosen")) {
      this.schedule(CHOICE_DELAY); // an item is being dragged: save the order once it is dropped
      return Promise.resolve(false);
    }
    var generation = this.generation;
    var data = new FormData(this.form);
    Array.prototype.forEach.call(this.form.querySelectorAll("input[type=file]"), function (input) {
      data.delete(input.name);
    });
    this.show(this.form.dataset.i18nSaving, null);
    // getAttribute: a field named "action" (the Save/Finish buttons) shadows form.action.
    this.inFlight = window.fetch(this.form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: new URLSearchParams(data),
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" },
      credentials: "same-origin",
      redirect: "manual"
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!json) {
        // A redirect (to the login page: the session ended) or an unexpected page: do not retry blindly.
        return { failed: response.status >= 500 ? "offline" : "failed" };
      }
      return response.json().then(function (body) { body.status = response.status; return body; });
    }, function () {
      return { failed: "offline" };
    }).then(function (body) {
      self.inFlight = null;
      if (body.ok) {
        self.saved = generation;
        if (self.dirty()) {
          self.schedule(CHOICE_DELAY); // changed again while this save travelled
        }
        if (body.lock !== undefined) { // the draft's new version: this page is not a stale form
          Array.prototype.forEach.call(document.querySelectorAll("input[name=lock]"), function (input) {
            input.value = body.lock;
          });
        }
        var notices = (body.notices || []).join(" ");
        self.show(body.message, notices || null);
        self.form.dispatchEvent(new CustomEvent("lms:saved", { bubbles: true, detail: body }));
        return true;
      }
      if (body.failed === "offline" || body.status >= 500 || body.status === 429) {
        self.show(null, self.form.dataset.i18nOffline);
        self.schedule(RETRY_DELAY);
        return false;
      }
      // Refused for good (a conflict, an expired form, a closed attempt, the session ended): keep everything
      // typed on the page, stop saving, and say why.
      self.blocked = true;
      self.show(null, body.error || self.form.dataset.i18nFailed);
      self.form.dispatchEvent(new CustomEvent("lms:refused", { bubbles: true, detail: body }));
      return false;
    });
    return this.inFlight;
  };

  // The form's own buttons: wait for a background save in flight (its answer carries the new lock), then send.
  Saver.prototype.submitting = function (event) {
    window.clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight) {
      event.preventDefault();
      var form = this.form;
      var submitter = event.submitter;
      this.inFlight.then(function () {
        if (submitter && submitter.form === form) {
          form.requestSubmit(submitter);
        } else {
          form.requestSubmit();
        }
      });
      return;
    }
    leaving = true;
  };

  function pending() {
    return savers.some(function (saver) { return saver.dirty() || saver.inFlight; });
  }

  window.lmsAutosave = {
    pending: pending,
    // Save everything unsaved; resolves true when all of it is saved.
    flush: function () {
      return Promise.all(savers.map(function (saver) { return saver.save(); })).then(function (results) {
        return results.every(Boolean);
      });
    },
    leave: function () { leaving = true; }
  };

  window.addEventListener("beforeunload", function (event) {
    if (leaving) {
      return;
    }
    if (pending() || savers.some(function (saver) { return saver.filesChosen(); })) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  // Back from the page a form was sent to (bfcache): the page is live again.
  window.addEventListener("pageshow", function () { leaving = false; });

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave]"), function (form) {
      savers.push(new Saver(form));
    });
  });
})();
