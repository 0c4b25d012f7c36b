// Injected into every HTML page of a bought package (lms/packages/views.py), after
// scorm-again's cross-frame-api.min.js, from the package's own origin.
//
// Gives the SCO the SCORM API it looks for (window.API for SCORM 1.2,
// window.API_1484_11 for SCORM 2004): a CrossFrameAPI that forwards every call by
// postMessage to Lernwerk's player page (whose origin is this script's
// data-lms-origin), where the real API keeps and commits the data. Frames inside the
// package's page find it by the usual search through their parents.
(function () {
  "use strict";
  var script = document.currentScript;
  var lmsOrigin = script && script.getAttribute("data-lms-origin");
  if (!lmsOrigin || typeof window.CrossFrameAPI !== "function") { return; }
  if (window.parent === window || window.parent !== window.top) { return; }
  var api = new window.CrossFrameAPI(lmsOrigin, window.parent);
  window.API = api;
  window.API_1484_11 = api;
  // CrossFrameAPI answers GetValue from a cache it fills after Initialize; fill it now
  // with the data the player loaded, so a SCO reading its suspend data right after
  // Initialize gets it.
  api._post("getFlattenedCMI", []).then(function (all) {
    if (!all || typeof all !== "object") { return; }
    Object.keys(all).forEach(function (key) {
      if (!api._cacheTimestamps.has(key)) {
        api._cache.set(key, all[key] === null || all[key] === undefined ? "" : String(all[key]));
      }
    });
  }, function () {});
})();
