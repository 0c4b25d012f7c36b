/* A plain cmi5 AU for Lernwerk's tests: no libraries, just the cmi5 launch steps.
   Reads the launch parameters, trades the fetch URL for the auth token, reads
   LMS.LaunchData and the learner preferences, sends "initialized", and on a button
   "passed"/"failed" (with a scaled score), "completed" and "terminated" with the
   context template. Every step and its HTTP status is listed in #log; #status says
   where it stands, with data-outcome (passed, failed, completed) and data-ended. */
(function () {
  "use strict";
  var CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
  var MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon";
  var MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
  var VERBS = {
    initialized: "http://adlnet.gov/expapi/verbs/initialized",
    completed: "http://adlnet.gov/expapi/verbs/completed",
    passed: "http://adlnet.gov/expapi/verbs/passed",
    failed: "http://adlnet.gov/expapi/verbs/failed",
    terminated: "http://adlnet.gov/expapi/verbs/terminated"
  };
  var launch = {};
  var auth = null;
  var launchData = null;
  var started = Date.now();

  function uuid() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function log(text) {
    var item = document.createElement("li");
    item.textContent = text;
    document.getElementById("log").appendChild(item);
  }

  function status(text, outcome) {
    var node = document.getElementById("status");
    node.textContent = text;
    if (outcome) node.setAttribute("data-outcome", outcome);
  }

  function duration() {
    return "PT" + ((Date.now() - started) / 1000).toFixed(1) + "S";
  }

  function headers(json) {
    var h = {"Authorization": "Basic " + auth, "X-Experience-API-Version": "1.0.3"};
    if (json) h["Content-Type"] = "application/json";
    return h;
  }

  function query(extra) {
    var q = new URLSearchParams({
      activityId: launch.activityId,
      agent: JSON.stringify(launch.actor),
      registration: launch.registration
    });
    Object.keys(extra).forEach(function (k) { q.set(k, extra[k]); });
    return q.toString();
  }

  function statement(verb, result) {
    var context = JSON.parse(JSON.stringify(launchData.contextTemplate));
    context.registration = launch.registration;
    context.contextActivities = context.contextActivities || {};
    var categories = [{id: CMI5}];
    if (result && ("success" in result || "completion" in result)) categories.push({id: MOVEON});
    context.contextActivities.category = categories;
    if ((verb === "passed" || verb === "failed") && "masteryScore" in launchData) {
      context.extensions[MASTERY] = launchData.masteryScore;
    }
    var data = {
      id: uuid(),
      actor: launch.actor,
      verb: {id: VERBS[verb], display: {"en-US": verb}},
      object: {id: launch.activityId, objectType: "Activity"},
      context: context,
      timestamp: new Date().toISOString()
    };
    if (result) data.result = result;
    return data;
  }

  async function send(verb, result) {
    var response = await fetch(launch.endpoint + "statements", {
      method: "POST",
      headers: headers(true),
      body: JSON.stringify([statement(verb, result)])
    });
    log(verb + ": " + response.status);
    if (!response.ok) throw new Error(verb + " " + response.status);
  }

  async function start() {
    var params = new URLSearchParams(location.search);
    ["endpoint", "fetch", "registration", "activityId"].forEach(function (name) {
      launch[name] = params.get(name);
    });
    launch.actor = JSON.parse(params.get("actor"));
    var fetched = await fetch(launch.fetch, {method: "POST"});
    var token = await fetched.json();
    if (!token["auth-token"]) {
      log("fetch: " + token["error-code"] + " " + token["error-text"]);
      throw new Error("no auth token");
    }
    auth = token["auth-token"];
    log("fetch: " + fetched.status);
    var state = await fetch(launch.endpoint + "activities/state?" +
      query({stateId: "LMS.LaunchData"}), {headers: headers(false)});
    log("LMS.LaunchData: " + state.status);
    launchData = await state.json();
    var prefs = await fetch(launch.endpoint + "agents/profile?" + new URLSearchParams({
      agent: JSON.stringify(launch.actor), profileId: "cmi5LearnerPreferences"
    }).toString(), {headers: headers(false)});
    log("cmi5LearnerPreferences: " + prefs.status + " " +
      (prefs.ok ? (await prefs.json()).languagePreference : ""));
    document.body.setAttribute("data-move-on", launchData.moveOn);
    if ("masteryScore" in launchData) {
      document.body.setAttribute("data-mastery-score", String(launchData.masteryScore));
    }
    await send("initialized");
    status("Bereit (" + launchData.moveOn + ")");
    Array.prototype.forEach.call(document.querySelectorAll("button"), function (b) {
      b.disabled = false;
    });
  }

  async function finish(steps, outcome, text) {
    Array.prototype.forEach.call(document.querySelectorAll("button"), function (b) {
      b.disabled = true;
    });
    try {
      for (var i = 0; i < steps.length; i++) await send(steps[i][0], steps[i][1]);
      await send("terminated", {duration: duration()});
      status(text, outcome);
      document.getElementById("status").setAttribute("data-ended", "true");
      if (launchData.returnURL) {
        var back = document.createElement("a");
        // As a real AU does: its own frame goes to returnURL (the sandbox forbids
        // navigating the page around it), and Lernwerk's player takes the learner back.
        back.href = launchData.returnURL;
        back.textContent = "Zurück zur Einheit";
        document.querySelector("main").appendChild(back);
      }
    } catch (error) {
      status("Fehler: " + error.message, "error");
    }
  }

  function answer(button, passed) {
    var score = Number(button.getAttribute("data-score"));
    var judged = {score: {scaled: score}, success: passed, duration: duration()};
    var percent = Math.round(score * 100) + " %";
    finish([
      [passed ? "passed" : "failed", judged],
      ["completed", {completion: true, duration: duration()}]
    ], passed ? "passed" : "failed", (passed ? "Bestanden: " : "Nicht bestanden: ") + percent);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var pass = document.getElementById("pass");
    var fail = document.getElementById("fail");
    var done = document.getElementById("finish");
    if (pass) pass.addEventListener("click", function () { answer(pass, true); });
    if (fail) fail.addEventListener("click", function () { answer(fail, false); });
    if (done) {
      done.addEventListener("click", function () {
        finish([["completed", {completion: true, duration: duration()}]], "completed",
          "Abgeschlossen");
      });
    }
    start().catch(function (error) { status("Fehler: " + error.message, "error"); });
  });
})();
