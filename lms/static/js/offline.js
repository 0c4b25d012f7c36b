/* Reading offline (lms/offline): registers the service worker (templates/offline/sw.js),
 * shows a quiet banner while offline, keeps forms from being sent into the void,
 * says when a lesson's "done" is queued, and saves a module for offline use.
 * Every page works without this script; its texts come from data attributes of its
 * <script> tag (templates/offline/_head.html) and of the save button's section.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) return;
  var texts = script.dataset;
  var PAGES = "lernwerk-pages";
  var PERSONAL_CACHES = [PAGES, "lernwerk-content", "lernwerk-static"];
  var QUEUED_MARK = "#saved-offline";
  var LESSON_DONE = /^\/learn\/courses\/[^/]+\/[^/]+\/done$/;
  var NEEDS_NETWORK = /\/(attempts|handin)(\/|$)/; // knowledge checks and hand-ins
  var MODULE_PAGE = /^\/learn\/courses\/[^/]+$/;
  var workers = "serviceWorker" in navigator && "caches" in window;

  function ready(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  function postToWorker(message, ports) {
    if (!workers) return Promise.resolve(false);
    return navigator.serviceWorker.ready.then(function (registration) {
      if (!registration.active) return false;
      registration.active.postMessage(message, ports || []);
      return true;
    });
  }

  /* The service worker works for a signed-in person on their own device only. A page of
     someone signed out (the sign-out cleared everything with Clear-Site-Data; a session
     that ran out did not) or of a shared device drops the worker and every cache of the
     site, so nothing of a person stays. */
  if (workers && texts.session === "in") {
    navigator.serviceWorker.register(texts.worker).catch(function () {
      return undefined; // not over HTTPS, or storage refused: pages still work
    });
    if (navigator.onLine) postToWorker({ type: "send-queued" });
    window.addEventListener("online", function () {
      postToWorker({ type: "send-queued" });
    });
  } else if (workers && (texts.session === "out" || texts.session === "shared")) {
    navigator.serviceWorker.getRegistrations().then(function (registrations) {
      registrations.forEach(function (registration) {
        registration.unregister();
      });
    });
    caches.keys().then(function (names) {
      names.forEach(function (name) {
        if (name.indexOf("lernwerk") === 0) caches.delete(name);
      });
    });
  }

  /* A quiet banner while offline. */
  var banner = null;

  function showBanner() {
    if (banner || !document.body) return;
    banner = document.createElement("p");
    banner.className = "offline-banner";
    banner.setAttribute("role", "status");
    banner.textContent = texts.textOffline;
    var main = document.getElementById("main");
    document.body.insertBefore(banner, main || document.body.firstChild);
  }

  function hideBanner() {
    if (banner) banner.remove();
    banner = null;
  }

  window.addEventListener("offline", showBanner);
  window.addEventListener("online", hideBanner);
  ready(function () {
    if (!navigator.onLine) showBanner();
  });

  /* Forms: nothing typed is lost when the network is missing. */
  // A form's own attributes: a field or button named "action" or "method" (a knowledge
  // check's buttons are) hides the properties of the same names.
  function formPath(form) {
    return new URL(form.getAttribute("action") || location.href, location.href).pathname;
  }

  function formMethod(form) {
    return (form.getAttribute("method") || "get").toLowerCase();
  }

  function sayNoConnection(form) {
    var alert = form.previousElementSibling;
    if (!alert || !alert.classList.contains("offline-alert")) {
      alert = document.createElement("p");
      alert.className = "notice notice--warning offline-alert";
      alert.setAttribute("role", "alert");
      alert.tabIndex = -1;
      form.parentNode.insertBefore(alert, form);
    }
    var path = formPath(form);
    alert.textContent = NEEDS_NETWORK.test(path) ? texts.textAnswersKept : texts.textInputKept;
    alert.focus();
  }

  function clearNoConnection(form) {
    var alert = form.previousElementSibling;
    if (alert && alert.classList.contains("offline-alert")) alert.remove();
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || formMethod(form) !== "post") return;
      var path = formPath(form);
      if (LESSON_DONE.test(path) && workers && navigator.serviceWorker.controller) {
        return; // the service worker queues it when there is no network
      }
      if (/\/logout$/.test(path) && !navigator.onLine && workers) {
        // The sign-out needs the server; what this person kept goes at once.
        PERSONAL_CACHES.forEach(function (name) {
          caches.delete(name);
        });
      }
      if (!navigator.onLine) {
        event.preventDefault();
        sayNoConnection(form);
        return;
      }
      // Online as far as the browser knows: the form goes. Should it not arrive, the
      // service worker answers "204 No Content", the page stays as it is with everything
      // typed, and the worker tells it so (below).
      clearNoConnection(form);
    },
    true
  );

  if (workers) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.type !== "not-sent") return;
      var forms = Array.prototype.filter.call(document.forms, function (form) {
        return formPath(form) === data.path;
      });
      if (forms.length) sayNoConnection(forms[0]);
    });
    navigator.serviceWorker.startMessages();
  }

  /* A lesson's "done" queued by the service worker. */
  ready(function () {
    if (location.hash !== QUEUED_MARK) return;
    history.replaceState(null, "", location.pathname + location.search);
    var form = document.querySelector("form[action$='/done']");
    var note = document.createElement("p");
    note.className = "notice notice--success offline-queued";
    note.setAttribute("role", "status");
    note.textContent = texts.textQueued;
    note.tabIndex = -1;
    if (form) {
      form.replaceWith(note);
    } else {
      var main = document.getElementById("main");
      if (main) main.insertBefore(note, main.firstChild);
    }
    note.focus(); // where the button was: the learner sees what became of it
  });

  /* "Für unterwegs speichern" on a module's page. */
  function savedKey(section) {
    return "lernwerk-offline:" + section.dataset.url;
  }

  function showSaved(section) {
    var status = section.querySelector(".offline-save__status");
    section.querySelector(".offline-save__button").hidden = true;
    section.querySelector(".offline-save__hint").hidden = true;
    status.textContent = "";
    var text = document.createElement("span");
    text.textContent = section.dataset.textSaved + " ";
    var tick = document.createElement("span");
    tick.setAttribute("aria-hidden", "true");
    tick.textContent = "✓";
    status.append(text, tick);
    section.classList.add("offline-save--saved");
  }

  function saveModule(section) {
    var button = section.querySelector(".offline-save__button");
    var status = section.querySelector(".offline-save__status");
    function failed() {
      button.disabled = false;
      status.textContent = section.dataset.textFailed;
    }
    button.disabled = true;
    status.textContent = section.dataset.textProgress.replace("{saved}", "0");
    fetch(section.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("list");
        return response.json();
      })
      .then(function (list) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) {
          var data = event.data || {};
          status.textContent = section.dataset.textProgress.replace("{saved}", String(data.saved));
          if (data.type !== "finished") return;
          if (data.saved === data.total) {
            try {
              localStorage.setItem(savedKey(section), section.dataset.version);
            } catch (error) {
              // private mode: the state shows until the page is left
            }
            showSaved(section);
          } else {
            failed();
          }
        };
        return postToWorker(
          { type: "save-module", module: list.module, lessons: list.lessons },
          [channel.port2]
        ).then(function (sent) {
          if (!sent) failed();
        });
      })
      .catch(failed);
  }

  ready(function () {
    var section = document.querySelector("[data-offline-save]");
    if (!section || !workers || texts.session !== "in") return;
    section.hidden = false;
    section.querySelector(".offline-save__button").addEventListener("click", function () {
      saveModule(section);
    });
    var saved = null;
    try {
      saved = localStorage.getItem(savedKey(section));
    } catch (error) {
      saved = null;
    }
    if (saved !== section.dataset.version) return;
    caches
      .open(PAGES)
      .then(function (cache) {
        return cache.match(location.pathname, { ignoreVary: true });
      })
      .then(function (page) {
        if (page) showSaved(section);
      });
  });

  /* The offline page: the modules kept on this device. */
  ready(function () {
    var list = document.querySelector("[data-saved-modules]");
    if (!list || !workers) return;
    caches
      .open(PAGES)
      .then(function (cache) {
        return cache.keys().then(function (requests) {
          var modules = requests.filter(function (request) {
            return MODULE_PAGE.test(new URL(request.url).pathname);
          });
          return Promise.all(
            modules.map(function (request) {
              return cache
                .match(request, { ignoreVary: true })
                .then(function (response) {
                  return response.text();
                })
                .then(function (html) {
                  var page = new DOMParser().parseFromString(html, "text/html");
                  var heading = page.querySelector("main h1");
                  return { url: request.url, title: heading ? heading.textContent.trim() : request.url };
                });
            })
          );
        });
      })
      .then(function (modules) {
        if (!modules.length) return;
        modules.forEach(function (module) {
          var item = document.createElement("li");
          var link = document.createElement("a");
          link.href = module.url;
          link.textContent = module.title;
          item.append(link);
          list.append(item);
        });
        list.hidden = false;
        var none = document.querySelector("[data-saved-none]");
        if (none) none.hidden = true;
      })
      .catch(function () {
        return undefined;
      });
  });
})();
