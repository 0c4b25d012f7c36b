// The package's return page (lms/packages/views.returned): ask the player around the
// frame to save and go back to the unit page. Only the player listens for it, and only
// from its own frame.
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = script ? script.getAttribute("data-lms-origin") : null;
  if (window.parent !== window && origin) {
    window.parent.postMessage({ lernwerk: "return" }, origin);
  }
})();
