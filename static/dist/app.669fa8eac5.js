/* static/src/js/00-ready.js */
// Progressive enhancement: every page works without this file; with it, <html> gains the "js"
// class so CSS can show controls that only make sense with JavaScript.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
})();
;
/* static/src/js/10-autosave.js */
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
;
/* static/src/js/20-language.js */
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
;
/* static/src/js/30-countdown.js */
// A live countdown for timed quizzes. The deadline and the server's "now" come from the page (data-deadline,
// data-server-now, milliseconds), so a wrong clock on this computer does not matter: only the time elapsed here
// is used. Warnings at 5 minutes and 1 minute go to an alert region; at zero the answers are saved and submitted
// (the server enforces the limit either way).
(function () {
  "use strict";
  var FIVE = 5 * 60 * 1000;
  var ONE = 60 * 1000;

  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function format(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    return (hours ? hours + ":" + two(minutes) : String(minutes)) + ":" + two(seconds);
  }

  function start(box) {
    var deadline = Number(box.dataset.deadline);
    var offset = Number(box.dataset.serverNow) - Date.now(); // server clock minus this computer's clock
    var clock = box.querySelector("[data-countdown-clock]");
    var alert = box.querySelector("[data-countdown-alert]");
    var left = function () { return deadline - (Date.now() + offset); };
    var warned5 = left() <= FIVE;
    var warned1 = false;
    var done = false;
    var timer = null;

    function say(text) {
      alert.textContent = text;
    }

    function submit() {
      done = true;
      window.clearInterval(timer);
      say(box.dataset.i18nUp);
      var form = document.querySelector("form[data-countdown-submit]");
      var autosave = window.lmsAutosave;
      var saved = autosave ? autosave.flush() : Promise.resolve(true);
      // Never wait long: the server accepts answers only a few seconds after the deadline.
      var patience = new Promise(function (resolve) { window.setTimeout(resolve, 4000); });
      Promise.race([saved, patience]).then(function () {
        if (autosave) {
          autosave.leave();
        }
        if (form) {
          form.submit();
        }
      });
    }

    function tick() {
      if (done) {
        return;
      }
      var ms = left();
      clock.textContent = box.dataset.i18nLeft.replace("{time}", format(ms));
      box.classList.toggle("countdown-soon", ms <= FIVE);
      box.classList.toggle("countdown-urgent", ms <= ONE);
      if (!warned5 && ms <= FIVE) {
        warned5 = true;
        say(box.dataset.i18nWarn5);
      }
      if (!warned1 && ms <= ONE) {
        warned1 = true;
        warned5 = true;
        say(box.dataset.i18nWarn1);
      }
      if (ms <= 0) {
        submit();
      }
    }

    box.hidden = false;
    tick();
    timer = window.setInterval(tick, 250);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-countdown]"), start);
  });
})();
;
/* static/src/js/40-ordering.js */
// Ordering questions: drag and drop (SortableJS, loaded by the attempt page when it has one), and the Up/Down
// buttons move the item in place instead of reloading the page, keeping the focus on the item and announcing
// its new position. The hidden inputs travel with their items, so the form posts the order shown; a "change"
// event lets 10-autosave.js save it.
(function () {
  "use strict";

  function enhance(list) {
    var status = list.parentNode.querySelector("[data-ordering-status]");

    function refresh() {
      var items = list.children;
      Array.prototype.forEach.call(items, function (item, index) {
        var up = item.querySelector("button[data-move=up]");
        var down = item.querySelector("button[data-move=down]");
        if (up) { up.hidden = index === 0; }
        if (down) { down.hidden = index === items.length - 1; }
      });
    }

    function moved(item) {
      refresh();
      var position = Array.prototype.indexOf.call(list.children, item) + 1;
      if (status) {
        status.textContent = list.dataset.i18nMoved.replace("{item}", item.dataset.itemText || "")
          .replace("{n}", position).replace("{total}", list.children.length);
      }
      list.dispatchEvent(new Event("change", { bubbles: true }));
    }

    list.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-move]");
      if (!button || !list.contains(button)) {
        return;
      }
      event.preventDefault();
      var item = button.closest("li");
      var up = button.dataset.move === "up";
      var other = up ? item.previousElementSibling : item.nextElementSibling;
      if (!other) {
        return;
      }
      list.insertBefore(up ? item : other, up ? other : item);
      moved(item);
      // Stay on the same button while it still applies; at the top or bottom, on the other one.
      var next = button.hidden ? item.querySelector("button[data-move=" + (up ? "down" : "up") + "]") : button;
      if (next) {
        next.focus();
      }
    });

    list.classList.add("ordering-enhanced");
    if (window.Sortable) {
      window.Sortable.create(list, {
        animation: 150,
        filter: "button",
        preventOnFilter: false,
        forceFallback: true, // pointer events: mouse, pen and touch alike
        fallbackOnBody: true, // the dragged copy (with its hidden input) outside the form, never posted
        onEnd: function (event) {
          if (event.oldIndex !== event.newIndex) {
            moved(event.item);
          }
        }
      });
      list.classList.add("ordering-draggable");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("ol[data-ordering]"), enhance);
  });
})();
;
/* static/src/js/50-copy.js */
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
;
/* static/src/js/55-grading.js */
// The grading view's running total: while a mentor picks rubric levels, the total and whether it is
// enough to approve follow the choice. The server renders the same figures (and computes the total again
// on save), so without this script the page only shows the total as last saved or typed. The messages come
// from the server in data attributes, already in the reader's language.
(function () {
  "use strict";

  function update(form, box) {
    // The same order as rules.review.approval_problem: unscored, a gate below its minimum, the total.
    var total = 0;
    var unscored = false;
    var belowMinimum = false;
    form.querySelectorAll("fieldset.criterion").forEach(function (fieldset) {
      var picked = fieldset.querySelector("input[type=radio]:checked");
      if (picked) {
        var points = parseInt(picked.value, 10) || 0;
        total += points;
        if (fieldset.dataset.minLevel !== undefined && points < parseInt(fieldset.dataset.minLevel, 10)) {
          belowMinimum = true;
        }
      } else {
        unscored = true;
      }
    });
    var enough = !unscored && !belowMinimum && total >= parseInt(box.dataset.pass, 10);
    box.querySelector(".grading-total-points").textContent = String(total);
    box.querySelector(".grading-total-status").textContent = unscored ? box.dataset.unscored
      : belowMinimum ? box.dataset.belowMinimum : (enough ? box.dataset.enough : box.dataset.below);
    box.classList.toggle("is-enough", enough);
  }

  function init() {
    document.querySelectorAll("form.grading").forEach(function (form) {
      var box = form.querySelector(".grading-total");
      if (!box) {
        return;
      }
      form.addEventListener("change", function (event) {
        if (event.target.matches("fieldset.criterion input[type=radio]")) {
          update(form, box);
        }
      });
      update(form, box);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
;
/* static/src/js/60-confirm.js */
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
