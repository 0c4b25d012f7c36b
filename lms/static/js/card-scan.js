/* Scanning a login card with the device's camera (login_cards/_scan.html).
 *
 * Progressive enhancement: the "Scan card" button stays hidden unless the browser can
 * use a camera (a secure context with getUserMedia) and the QR decoder (jsQR, vendored
 * in static/vendor) has loaded; the short-code form below it always works. A decoded
 * QR code is accepted only if it is this site's card address (/k/<secret>); the page
 * then posts it, as the confirmation page's button would. Nothing leaves the device
 * but that one request: the frames are decoded here.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-card-scan]");
  if (!root) {
    return;
  }
  var media = navigator.mediaDevices;
  if (!media || typeof media.getUserMedia !== "function" || typeof window.jsQR !== "function") {
    return;
  }

  var start = root.querySelector("[data-card-scan-start]");
  var stop = root.querySelector("[data-card-scan-stop]");
  var camera = root.querySelector("[data-card-scan-camera]");
  var video = root.querySelector("[data-card-scan-video]");
  var status = root.querySelector("[data-card-scan-status]");
  var form = root.querySelector("[data-card-scan-form]");
  var prefix = root.getAttribute("data-prefix") || "/k/";
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var timer = null;
  var done = false;
  var SECRET = /^[A-Za-z0-9_-]{20,100}$/;
  var LARGEST = 800; // pixels of the longer side a frame is decoded at

  function say(name) {
    status.textContent = root.getAttribute("data-" + name) || "";
  }

  // The path to post, if `text` is a login card's address on this site; else null.
  function cardPath(text) {
    var url;
    try {
      url = new URL(text, window.location.href);
    } catch (error) {
      return null;
    }
    if (url.origin !== window.location.origin || url.pathname.indexOf(prefix) !== 0) {
      return null;
    }
    var secret = url.pathname.slice(prefix.length);
    return SECRET.test(secret) ? prefix + secret : null;
  }

  function stopCamera() {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.srcObject = null;
    camera.hidden = true;
    if (!done) {
      start.hidden = false;
    }
  }

  function decode() {
    timer = null;
    if (!stream || done) {
      return;
    }
    var width = video.videoWidth;
    var height = video.videoHeight;
    if (video.readyState >= 2 && width && height) {
      var scale = Math.min(1, LARGEST / Math.max(width, height));
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var frame = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(frame.data, frame.width, frame.height, {
        inversionAttempts: "dontInvert"
      });
      if (found && found.data) {
        var path = cardPath(found.data);
        if (path) {
          done = true;
          say("found");
          stopCamera();
          form.setAttribute("action", path);
          form.submit();
          return;
        }
        say("foreign");
      }
    }
    timer = window.setTimeout(decode, 120);
  }

  start.hidden = false;
  // One primary action: with the camera button shown, typing the code is the quiet one.
  var typed = document.querySelector("[data-card-code-submit]");
  if (typed) {
    typed.classList.add("button--quiet");
  }
  start.addEventListener("click", function () {
    start.hidden = true;
    media.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(
      function (opened) {
        stream = opened;
        video.srcObject = opened;
        camera.hidden = false;
        say("looking");
        var playing = video.play();
        if (playing && typeof playing.catch === "function") {
          playing.catch(function () { /* muted inline video: plays anyway */ });
        }
        decode();
      },
      function () {
        start.hidden = false;
        say("denied");
      }
    );
  });
  stop.addEventListener("click", function () {
    stopCamera();
    status.textContent = "";
    start.focus();
  });
  // The camera goes off with the page (back/forward cache, another tab's navigation).
  window.addEventListener("pagehide", stopCamera);
})();
