// The package's return page (lms/packages/views.returned): ask the player around the
// frame to save and go back to the unit page. Only the player listens for it, and only
// from its own frame and the frames inside it (a frameset package's inner frame).
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = script ? script.getAttribute("data-lms-origin") : null;
  if (window.top !== window && origin) {
    window.top.postMessage({ lernwerk: "return" }, origin);
  }
})();
