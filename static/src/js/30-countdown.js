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
