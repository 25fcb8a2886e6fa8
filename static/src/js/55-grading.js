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
