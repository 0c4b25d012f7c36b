/* Brandschutz am Arbeitsplatz – a small SCORM 2004 SCO for Lernwerk's demo.
 * It finds the runtime API the standard way, keeps the page as cmi.location and the
 * answers as cmi.suspend_data, reports each question as an interaction and the score
 * (the LMS decides passed/failed from the manifest's 0.8). */
(function () {
  "use strict";
  var RIGHT = { f1: "b", f2: "b", f3: "a" };
  var PAGES = 4;

  function findApi(win) {
    for (var tries = 0; win && tries < 10; tries++) {
      if (win.API_1484_11) return win.API_1484_11;
      if (win.parent === win) break;
      win = win.parent;
    }
    return null;
  }
  var api = findApi(window) || (window.opener && findApi(window.opener));
  function get(name) { return api ? String(api.GetValue(name)) : ""; }
  function set(name, value) { if (api) api.SetValue(name, String(value)); }
  function commit() { if (api) api.Commit(""); }

  var page = 1;
  var answers = {};
  if (api) {
    api.Initialize("");
    if (get("cmi.entry") === "resume") {
      page = parseInt(get("cmi.location"), 10) || 1;
      try { answers = JSON.parse(get("cmi.suspend_data") || "{}"); } catch (e) { answers = {}; }
    }
    if (get("cmi.completion_status") === "unknown" || get("cmi.completion_status") === "not attempted") {
      set("cmi.completion_status", "incomplete");
    }
    set("cmi.exit", "suspend");
    commit();
  }

  function show(number) {
    page = Math.max(1, Math.min(PAGES, number));
    for (var n = 1; n <= PAGES; n++) {
      document.getElementById("seite-" + n).hidden = n !== page;
    }
    document.getElementById("schritt").textContent = "Seite " + page + " von " + PAGES;
    document.getElementById("zurueck").disabled = page === 1;
    document.getElementById("weiter").disabled = page === PAGES;
    set("cmi.location", page);
    set("cmi.progress_measure", (page / PAGES).toFixed(2));
    commit();
    var heading = document.querySelector("#seite-" + page + " h1");
    if (heading) { heading.tabIndex = -1; heading.focus(); }
  }

  document.getElementById("zurueck").addEventListener("click", function () { show(page - 1); });
  document.getElementById("weiter").addEventListener("click", function () { show(page + 1); });

  var form = document.getElementById("fragen");
  Object.keys(answers).forEach(function (name) {
    var input = form.querySelector("input[name='" + name + "'][value='" + answers[name] + "']");
    if (input) input.checked = true;
  });
  form.addEventListener("change", function (event) {
    answers[event.target.name] = event.target.value;
    set("cmi.suspend_data", JSON.stringify(answers));
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var right = 0;
    Object.keys(RIGHT).forEach(function (name, index) {
      var given = answers[name] || "";
      var ok = given === RIGHT[name];
      if (ok) right++;
      var prefix = "cmi.interactions." + index + ".";
      set(prefix + "id", "brandschutz-frage-" + (index + 1));
      set(prefix + "type", "choice");
      set(prefix + "learner_response", given || "keine");
      set(prefix + "correct_responses.0.pattern", RIGHT[name]);
      set(prefix + "result", ok ? "correct" : "incorrect");
      set(prefix + "description", form.querySelectorAll("legend")[index].textContent);
    });
    var scaled = right / 3;
    set("cmi.score.raw", right);
    set("cmi.score.min", 0);
    set("cmi.score.max", 3);
    set("cmi.score.scaled", scaled.toFixed(2));
    set("cmi.completion_status", "completed");
    set("cmi.progress_measure", "1");
    set("cmi.exit", scaled >= 0.8 ? "normal" : "suspend");
    commit();
    document.getElementById("ergebnis").textContent = scaled >= 0.8
      ? right + " von 3 richtig – bestanden. Kehren Sie jetzt zur Lerneinheit zurück."
      : right + " von 3 richtig. Lesen Sie die Seiten noch einmal und versuchen Sie es erneut.";
    if (scaled >= 0.8 && api) api.Terminate("");
  });

  show(page);
})();
