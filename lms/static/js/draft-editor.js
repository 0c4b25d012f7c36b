// The draft editor's live check: while a trainer types, the file is checked by the
// server (the same parser as `lms courses check`) and, less often, its unit shown as
// learners would see it. Without JavaScript the page works as a plain form: the
// server shows the unit's preview and the saved file's problems; this only updates
// them while typing. Served from lms/static/js/ (no build step, nothing from a CDN).
(function () {
  "use strict";
  var form = document.querySelector("form[data-check-url]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var textarea = form.querySelector("textarea");
  var panel = document.getElementById("live-check");
  var summary = document.getElementById("live-summary");
  var list = document.getElementById("live-problems");
  // The unit's preview (absent for course.md) and its notes; the saved file's problems.
  var preview = document.getElementById("live-preview");
  var waiting = document.getElementById("preview-waiting");
  var stale = document.getElementById("preview-stale");
  var saved = document.getElementById("saved-problems");
  if (!textarea || !panel || !summary || !list) { return; }
  panel.hidden = false;
  var checkTimer = null;
  var renderTimer = null;
  var sent = 0;
  var rendered = 0;

  function jumpTo(line) {
    // Select the line in the textarea and bring it into view.
    var lines = textarea.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || "").length;
    textarea.focus();
    textarea.setSelectionRange(start, end);
    var lineHeight = parseFloat(window.getComputedStyle(textarea).lineHeight) || 20;
    textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }

  function show(data) {
    summary.textContent = data.summary;
    // The saved file's problems are fixed in the editor: their warning goes.
    if (saved) { saved.hidden = data.problems.length === 0; }
    list.textContent = "";
    data.problems.forEach(function (problem) {
      var item = document.createElement("li");
      if (problem.line) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "link-button";
        button.textContent = problem.where;
        button.addEventListener("click", function () { jumpTo(problem.line); });
        item.appendChild(button);
        item.appendChild(document.createTextNode(": "));
      }
      var text = document.createElement("span");
      text.className = problem.error ? "status status--danger" : "status status--warn";
      text.textContent = problem.message;
      item.appendChild(text);
      item.appendChild(document.createTextNode(" " + problem.hint));
      list.appendChild(item);
    });
  }

  function post(url) {
    return fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) { return response.ok ? response.json() : null; });
  }

  function check() {
    var number = ++sent;
    post(form.getAttribute("data-check-url")).then(function (data) {
      if (data && number === sent) { show(data); }
    }).catch(function () { /* offline: the plain save still works */ });
  }

  function render() {
    if (!preview || !form.hasAttribute("data-render-url")) { return; }
    var number = ++rendered;
    post(form.getAttribute("data-render-url")).then(function (data) {
      // Sanitised on the server by the same pipeline as published lessons.
      if (!data || number !== rendered) { return; }
      if (data.ok) { preview.innerHTML = data.html; }
      // While the text has errors the last preview stays, and says so.
      var shown = data.ok || preview.innerHTML.trim() !== "";
      if (waiting) { waiting.hidden = shown; }
      if (stale) { stale.hidden = data.ok || !shown; }
    }).catch(function () { /* offline: the plain save still works */ });
  }

  textarea.addEventListener("input", function () {
    window.clearTimeout(checkTimer);
    window.clearTimeout(renderTimer);
    checkTimer = window.setTimeout(check, 500);
    renderTimer = window.setTimeout(render, 1500);
  });
  // The preview is on the page from the start; the check fills its list now.
  check();
}());
