// The test SCO's behaviour (both test packages carry a copy): it finds the SCORM API
// Lernwerk injects, shows what it got back (entry, location, suspend data) and has
// the buttons the browser tests click. Outcomes are written into the page.
(function () {
  "use strict";
  var scorm12 = document.body.getAttribute("data-standard") === "scorm12";
  // The search SCORM's authoring tools ship (ADL's findAPI): this window, then its
  // parents, without a try: a parent of another origin would stop it with an error.
  function findApi(name) {
    var win = window;
    for (var depth = 0; !win[name] && win.parent && win.parent !== win && depth < 7; depth++) {
      win = win.parent;
    }
    return win[name] || null;
  }
  var api = findApi(scorm12 ? "API" : "API_1484_11");
  var n = scorm12 ? {
    init: "LMSInitialize", get: "LMSGetValue", set: "LMSSetValue", commit: "LMSCommit",
    finish: "LMSFinish", name: "cmi.core.student_name", entry: "cmi.core.entry",
    location: "cmi.core.lesson_location", exit: "cmi.core.exit", raw: "cmi.core.score.raw",
    count: "cmi.interactions._count", response: "student_response", wrong: "wrong"
  } : {
    init: "Initialize", get: "GetValue", set: "SetValue", commit: "Commit",
    finish: "Terminate", name: "cmi.learner_name", entry: "cmi.entry",
    location: "cmi.location", exit: "cmi.exit", raw: "cmi.score.raw",
    count: "cmi.interactions._count", response: "learner_response", wrong: "incorrect"
  };
  function byId(id) { return document.getElementById(id); }
  function log(text) { byId("log").textContent = text; }
  function get(element) { return api[n.get](element); }
  function set(element, value) { return api[n.set](element, String(value)); }
  function commit() { return api[n.commit](""); }
  if (!api) { log("Keine SCORM-Schnittstelle gefunden."); return; }

  api[n.init]("");
  // Lernwerk's API answers by message: wait a moment until the learner's data is there.
  var tries = 0;
  (function ready() {
    if (!get(n.name) && tries++ < 60) { window.setTimeout(ready, 50); return; }
    byId("learner").textContent = get(n.name);
    byId("entry").textContent = get(n.entry);
    byId("location").textContent = get(n.location);
    byId("suspend").textContent = get("cmi.suspend_data");
    document.body.setAttribute("data-ready", "yes");
  })();

  function on(id, action) {
    var button = byId(id);
    if (button) { button.addEventListener("click", action); }
  }
  on("complete", function () {
    set(scorm12 ? "cmi.core.lesson_status" : "cmi.completion_status", "completed");
    commit();
    log("Als abgeschlossen gemeldet.");
  });
  on("pass", function () {
    set(n.raw, 90);
    if (scorm12) {
      set("cmi.core.lesson_status", "passed");
    } else {
      set("cmi.score.min", 0);
      set("cmi.score.max", 100);
      set("cmi.score.scaled", 0.9);
      set("cmi.completion_status", "completed");
    }
    commit();
    log("90 Punkte gemeldet.");
  });
  on("fail", function () {
    set(n.raw, 40);
    if (scorm12) {
      set("cmi.core.lesson_status", "failed");
    } else {
      set("cmi.score.min", 0);
      set("cmi.score.max", 100);
      set("cmi.score.scaled", 0.4);
      set("cmi.completion_status", "completed");
    }
    commit();
    log("40 Punkte gemeldet.");
  });
  on("answer", function () {
    var chosen = document.querySelector("input[name=q1]:checked");
    if (!chosen) { log("Bitte eine Antwort wählen."); return; }
    var index = Number(get(n.count) || 0);
    var prefix = "cmi.interactions." + index + ".";
    set(prefix + "id", "feuerloescher-fett");
    set(prefix + "type", "choice");
    set(prefix + n.response, chosen.value);
    set(prefix + "result", chosen.value === "c" ? "correct" : n.wrong);
    commit();
    log("Antwort gespeichert.");
  });
  on("save-note", function () {
    set("cmi.suspend_data", byId("note").value);
    set(n.location, "seite-2");
    commit();
    log("Zwischenstand gespeichert.");
  });
  on("remember-note", function () {
    set("cmi.suspend_data", byId("note").value);  // no Commit: the player saves it
    log("Notiz gemerkt.");
  });
  on("exit", function () {
    set(n.exit, scorm12 ? "" : "normal");
    api[n.finish]("");
    log("Beendet.");
  });
  on("suspend-exit", function () {
    set(n.exit, "suspend");
    api[n.finish]("");
    log("Beendet – später fortsetzen.");
  });
})();
