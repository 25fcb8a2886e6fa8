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
