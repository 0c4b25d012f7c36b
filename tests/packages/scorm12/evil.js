// A package page that tries what a hostile package would: read Lernwerk's cookies,
// take over the top window, read a Lernwerk page with the learner's cookies, and post
// a form to a Lernwerk URL that changes something (marking a lesson as done). Each
// outcome is written into the page for tests/e2e/test_packages.py to read.
(function () {
  "use strict";
  function report(check, text) {
    document.querySelector("[data-check='" + check + "']").textContent = check + ": " + text;
  }
  var shim = document.querySelector("script[data-lms-origin]");
  var lms = shim ? shim.getAttribute("data-lms-origin") : "";

  try {
    report("cookie", "read " + JSON.stringify(window.parent.document.cookie));
  } catch (error) {
    report("cookie", "blocked");
  }
  try {
    report("top-read", "read " + window.top.location.href);
  } catch (error) {
    report("top-read", "blocked");
  }
  try {
    window.top.location.href = lms + "/logout";
    report("top-navigate", "attempted");
  } catch (error) {
    report("top-navigate", "blocked");
  }
  window.fetch(lms + "/learn/", { credentials: "include" }).then(function (response) {
    return response.text().then(function (text) {
      report("fetch", "read " + response.status + " " + text.length);
    });
  }).catch(function () {
    report("fetch", "blocked");
  });
  var form = document.getElementById("attack");
  form.action = lms + "/learn/courses/e2e-pakete/einfuehrung/done";
  form.submit();
  report("form", "sent");
})();
