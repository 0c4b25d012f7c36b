// Injected into every HTML page of a bought package (lms/packages/views.py), after
// scorm-again's cross-frame-api.min.js, from the package's own origin.
//
// Gives the SCO the SCORM API it looks for (window.API for SCORM 1.2,
// window.API_1484_11 for SCORM 2004): a CrossFrameAPI that forwards every call by
// postMessage to Lernwerk's player page (whose origin is this script's
// data-lms-origin), where the real API keeps and commits the data.
//
// A frame inside the package's page (a frameset package) finds the API by the usual
// search through its parents when it shares their origin (a package origin of its
// own). In the sandbox every page has an opaque origin of its own, and that search
// cannot look into its parent: such a frame gets an API of its own that talks to
// the player directly (the player takes messages from every frame inside its own).
// Every message carries the launch's key (data-api-key), which only the package's
// own pages are given: the player ignores a page the package embeds from elsewhere.
(function () {
  "use strict";
  var script = document.currentScript;
  var lmsOrigin = script && script.getAttribute("data-lms-origin");
  var key = script && script.getAttribute("data-api-key");
  if (!lmsOrigin || !key || typeof window.CrossFrameAPI !== "function") { return; }
  if (window.parent === window) { return; }
  function parentReadable() {
    try { return Boolean(window.parent.document); } catch (error) { return false; }
  }
  if (window.parent !== window.top && parentReadable()) { return; }
  // scorm-again's CrossFrameAPI posts to `player` (which adds the key) and takes the
  // answers that come from the player's window.
  var top = window.top;
  var player = {
    postMessage: function (message, origin) {
      message.lernwerkKey = key;
      top.postMessage(message, origin);
    }
  };
  var api = new window.CrossFrameAPI(lmsOrigin, player);
  window.removeEventListener("message", api._boundOnMessage);
  window.addEventListener("message", function (event) {
    if (event.source !== top) { return; }
    api._onMessage({ origin: event.origin, data: event.data, source: player });
  });
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
