// Progressive enhancement: every page works without this file; with it, <html> gains the "js"
// class so CSS can show controls that only make sense with JavaScript.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
})();
