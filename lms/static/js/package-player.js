// The player of a bought package (templates/packages/player.html, lms/packages/views.py).
//
// The SCORM API (scorm-again) lives on this page, on Lernwerk's origin; the package
// runs in a sandboxed frame on the package origin (or an opaque one) and reaches the
// API only through postMessage (scorm-again's CrossFrameLMS here, CrossFrameAPI in
// the frame, injected with package-api.js). Every commit goes to the commit URL:
// scorm-again's own (autocommit, the SCO's Commit/Terminate, and at once whenever
// the SCO sets its status or score), a retry every few seconds while one failed,
// and a beacon when the page is hidden or closed. The status line says whether the
// learner's data is saved.
(function () {
  "use strict";
  var configElement = document.getElementById("package-config");
  var frame = document.getElementById("package-frame");
  if (!configElement || !frame) { return; }
  var config = JSON.parse(configElement.textContent);
  var statusLine = document.getElementById("package-status");
  var back = document.getElementById("package-back");
  var RETRY_MS = 5000;

  function show(text) {
    if (statusLine && statusLine.textContent !== text) { statusLine.textContent = text; }
  }

  function start() { frame.src = frame.getAttribute("data-src"); }

  // The package's return page (/package-files/return) asks to go back to the unit page
  // (cmi5's returnURL): after saving, for SCORM (below); at once for cmi5.
  var goBack = function () { window.location.href = config.unitUrl; };

  // Whether `source` is the package's page or a frame inside it (a frameset package
  // in the sandbox, where each frame talks to the player itself; at most 100 frames
  // are looked through).
  function fromThePackage(source) {
    var windows = [frame.contentWindow];
    for (var seen = 0; seen < windows.length && seen < 100; seen++) {
      var each = windows[seen];
      if (each === source) { return true; }
      for (var i = 0; i < each.frames.length; i++) { windows.push(each.frames[i]); }
    }
    return false;
  }

  function isReturn(event) {
    return Boolean(event.source && fromThePackage(event.source) && event.data &&
      event.data.lernwerk === "return");
  }

  // cmi5: the AU talks to the statement endpoint itself; nothing to bridge.
  if (config.standard !== "scorm12" && config.standard !== "scorm2004") {
    window.addEventListener("message", function (event) { if (isReturn(event)) { goBack(); } });
    start();
    return;
  }

  var scorm12 = config.standard === "scorm12";
  var Api = scorm12 ? window.Scorm12API : window.Scorm2004API;
  if (typeof Api !== "function" || typeof window.CrossFrameLMS !== "function") { return; }
  var api = new Api({
    lmsCommitUrl: config.commitUrl,
    dataCommitFormat: "json",
    includeCommitSequence: true,
    terminateCommitPayloadField: "terminate",
    autocommit: true,
    autocommitSeconds: 10,
    // fetch (keepalive) so each commit's result shows in the status line; the
    // beacon on page hide is this page's own (below).
    useAsynchronousCommits: true,
    asyncModeBeaconBehavior: "never",
    fetchMode: "same-origin",
    responseHandler: readAnswer,
    logLevel: 4
  });
  api.loadFromJSON(config.runtime);
  // Commits go on numbering from the attempt's last one: the server ignores a commit
  // whose number is not above the last it kept, so a late one never undoes a newer one.
  api._commitSequence = config.sequence || 0;

  // The learner's data is unsaved while a change was made after the commit numbered
  // `unsavedAfter` was captured; a successful commit with a higher number saved it.
  var unsavedAfter = null;
  var retryTimer = null;
  // The item was launched again (another window or device): nothing of this page is
  // kept any more, so it says so and stops sending.
  var supersededHere = false;

  // The status line also says, as data-unsaved, whether something waits to be sent.
  function markUnsaved() {
    if (statusLine) { statusLine.setAttribute("data-unsaved", unsavedAfter === null ? "false" : "true"); }
  }
  markUnsaved();
  function changed() {
    if (!supersededHere) { unsavedAfter = api._commitSequence; markUnsaved(); }
  }
  // The server kept the commit numbered `sequence`: every change made before it was
  // captured is saved.
  function saved(sequence) {
    if (supersededHere) { return; }
    if (unsavedAfter !== null && sequence > unsavedAfter) { unsavedAfter = null; markUnsaved(); }
    if (unsavedAfter === null) { show(config.texts.saved); }
  }
  function failed() {
    if (supersededHere) { return; }
    show(config.texts.offline);
    if (!retryTimer) { retryTimer = window.setTimeout(retry, RETRY_MS); }
  }
  function retry() {
    retryTimer = null;
    if (unsavedAfter !== null) { send(); }
  }

  // The current data as scorm-again commits it, with the next number.
  function commitBody() {
    var terminated = api.isTerminated();
    var body = api.getCommitObject(terminated);
    body.commitSequence = ++api._commitSequence;
    if (terminated) { body.terminate = true; }
    return body;
  }

  // Our own commit (a retry, leaving by the back link): works after Terminate too.
  function send() {
    if (supersededHere) { return Promise.resolve(); }
    var body = commitBody();
    return window.fetch(config.commitUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      keepalive: true
    }).then(function (response) {
      if (response.status === 400) { return { refused: true }; }
      return response.ok || response.status === 409 ? response.json() : { result: false };
    }).then(function (result) {
      if (result && result.refused) { refused(); return; }
      if (result && result.superseded) { superseded(); return; }
      if (result && result.result === true) { saved(body.commitSequence); } else { failed(); }
    }, failed);
  }

  // The server refused the data itself (e.g. saved state over 64 KiB): sending it again
  // cannot help, so say so and stop retrying until the package changes something.
  function refused() {
    unsavedAfter = null;
    markUnsaved();
    if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
    show(config.texts.refused);
  }

  function superseded() {
    supersededHere = true;
    unsavedAfter = null;
    markUnsaved();
    if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
    show(config.texts.superseded);
  }

  // scorm-again's own commits: their answer read as scorm-again reads it; a superseded
  // launch is noticed here, since its CommitError only says 391.
  function readAnswer(response) {
    return response.json().then(function (result) {
      if (!result || typeof result !== "object") { throw new Error("no answer"); }
      if (response.status === 409 && result.superseded) { superseded(); }
      if (result.result === true && typeof result.sequence === "number") { saved(result.sequence); }
      return result;
    }).then(null, function () {
      return { result: response.ok, errorCode: response.ok ? 0 : 101 };
    });
  }

  api.on(scorm12 ? "LMSSetValue.cmi.*" : "SetValue.cmi.*", changed);
  // Which commit succeeded is read from the answer (readAnswer, the server echoes its
  // number); scorm-again's own success event does not say.
  api.on("CommitError", function () { failed(); });

  // Status and score are committed at once, not with the next autocommit.
  var commitQueued = false;
  function commitNow() {
    if (commitQueued) { return; }
    commitQueued = true;
    window.setTimeout(function () {
      commitQueued = false;
      if (api.isInitialized() && !api.isTerminated()) {
        if (scorm12) { api.LMSCommit(""); } else { api.Commit(""); }
      }
    }, 0);
  }
  (scorm12
    ? ["cmi.core.lesson_status", "cmi.core.score.raw"]
    : ["cmi.completion_status", "cmi.success_status", "cmi.score.scaled", "cmi.score.raw",
       "cmi.progress_measure"]
  ).forEach(function (element) {
    api.on((scorm12 ? "LMSSetValue." : "SetValue.") + element, commitNow);
  });

  // Leaving or hiding the page: whatever is unsaved goes by beacon, which the browser
  // delivers even after the page is gone.
  function beacon() {
    if (unsavedAfter === null || !navigator.sendBeacon) { return; }
    var blob = new Blob([JSON.stringify(commitBody())], { type: "application/json" });
    navigator.sendBeacon(config.commitUrl, blob);
  }
  window.addEventListener("pagehide", beacon);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { beacon(); }
  });
  window.addEventListener("online", function () { if (unsavedAfter !== null) { send(); } });

  // "Back to the unit": save first (at most 3 seconds), then go.
  function saveAndGoBack() {
    if (unsavedAfter === null) { goBack(); return; }
    window.setTimeout(goBack, 3000);
    send().then(goBack, goBack);
  }
  if (back) {
    back.addEventListener("click", function (event) {
      event.preventDefault();
      saveAndGoBack();
    });
  }

  // Messages reach the API only from the package's frame and the frames inside it,
  // from the package origin when there is one (a sandboxed frame's origin is "null"),
  // and with the launch's key, which only the package's own pages have
  // (package-api.js): a page the package embeds from elsewhere gets no answer.
  var bridge = new window.CrossFrameLMS(api, config.packageOrigin);
  window.removeEventListener("message", bridge._boundOnMessage);
  window.addEventListener("message", function (event) {
    if (isReturn(event)) { saveAndGoBack(); return; }
    if (!event.source || !fromThePackage(event.source)) { return; }
    if (!event.data || event.data.lernwerkKey !== config.apiKey) { return; }
    if (config.packageOrigin !== "*" && event.origin !== config.packageOrigin) { return; }
    bridge._onMessage(event);
  });
  start();
})();
