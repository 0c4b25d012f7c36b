/* Kiosk mode on a shared device (lms/shared_devices): a countdown before the sign-out
   after inactivity, "Weiter lernen" to stay, and the sign-out when it runs out.

   The server signs out after the idle time by itself (every page works without this
   script); this script shows the last seconds, tells the server about input made
   without loading a page (reading, scrolling, typing), and at zero sends "Fertig"
   and replaces this page in the history with the start screen. */
(function () {
  "use strict";

  var form = document.getElementById("kiosk-done");
  var box = document.getElementById("kiosk-countdown");
  if (!form || !box) { return; }

  var idle = parseInt(form.getAttribute("data-idle"), 10) || 180;
  var warn = parseInt(form.getAttribute("data-warn"), 10) || 60;
  var activeUrl = form.getAttribute("data-active-url");
  var startUrl = form.getAttribute("data-start-url");
  var template = box.getAttribute("data-template") || "{s}";
  var text = document.getElementById("kiosk-countdown-text");
  var announce = box.querySelector("[data-kiosk-announce]");
  var stay = box.querySelector(".kiosk-countdown__stay");
  var token = form.querySelector("input[name=csrf_token]").value;

  var lastInput = Date.now();
  var lastReported = Date.now();  // the page load counted as input on the server
  var leaving = false;
  // Tell the server about input at most this often (ms); well inside the idle time.
  var REPORT_EVERY = Math.max(5000, Math.min(30000, (idle - warn) * 500));
  // Sign out this many seconds before the server would: the page was loaded a little
  // after the server counted the request.
  var MARGIN = 2;

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body,
      redirect: "manual",
      cache: "no-store"
    });
  }

  function say(seconds) {
    return template.replace("{s}", String(seconds));
  }

  var focusBefore = null;  // where the focus was when the countdown took it

  function hide() {
    if (!box.hidden) {
      var hadFocus = box.contains(document.activeElement);
      box.hidden = true;
      announce.textContent = "";
      if (hadFocus) {
        var back = focusBefore && document.contains(focusBefore) ? focusBefore : document.getElementById("main");
        if (back) { back.focus(); }
      }
    }
  }

  function input() {
    if (leaving) { return; }
    lastInput = Date.now();
    hide();
  }

  // The server counts the time of the report as the last input: reporting after the
  // input (never before) keeps the server's sign-out behind this countdown.
  function report() {
    lastReported = Date.now();
    post(activeUrl, "csrf_token=" + encodeURIComponent(token)).catch(function () {});
  }

  function signOut() {
    leaving = true;
    form.elements.reason.value = "idle";
    var body = new URLSearchParams(new FormData(form)).toString();
    // Sign out in the background, then replace this page with the start screen: the
    // person's page leaves the history instead of waiting behind "back".
    post(form.action, body).then(function () {
      window.location.replace(startUrl);
    }, function () {
      form.submit();
    });
  }

  function tick() {
    if (leaving) { return; }
    var now = Date.now();
    if (lastInput > lastReported && now - lastReported >= REPORT_EVERY) { report(); }
    var left = Math.ceil((lastInput + (idle - MARGIN) * 1000 - now) / 1000);
    if (left <= 0) {
      text.textContent = say(0);
      signOut();
      return;
    }
    if (left <= warn) {
      text.textContent = say(left);
      if (box.hidden) {
        focusBefore = document.activeElement;
        box.hidden = false;
        announce.textContent = say(left);
        stay.focus();
      } else if (left === 10) {
        announce.textContent = say(left);
      }
    }
  }

  stay.addEventListener("click", function () {
    input();
    report();  // at once: the server's idle time starts again too
  });
  ["keydown", "pointerdown", "touchstart", "wheel", "input"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (event.target === stay) { return; }
      input();
    }, { capture: true, passive: true });
  });
  document.addEventListener("scroll", input, { passive: true });
  form.addEventListener("submit", function () { leaving = true; });

  // A page brought back from the back/forward cache is shown afresh from the server
  // (which sends the start screen once the session has ended).
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); }
  });

  window.setInterval(tick, 1000);
})();
