/* Lernwerk's service worker (lms/offline): a learner's lessons read without a network.
 *
 * Served from /sw.js by offline.service_worker, so that its scope is the whole site;
 * only the address of Workbox and the files kept at installation are filled in there.
 * Workbox {{ workbox_version }} is shipped in lms/static/vendor/: nothing loads from a CDN.
 *
 * - The app shell (stylesheet, offline.js, icons, the offline page): kept at installation.
 * - The learner's pages ("Meine Lernmodule", a module, its units): from the network
 *   (waiting at most 4 s), kept in "lernwerk-pages" to be read offline.
 * - Course images (/content/…, immutable addresses): from "lernwerk-content" once kept.
 * - Every other page: from the network; without one, the offline page.
 * - "Als erledigt markieren" without a network: queued (Background Sync) and sent when
 *   the network is back; the server records a lesson once, however often it is sent.
 * - A knowledge check's page or a hand-in sent into a network that carries nothing:
 *   "204 No Content" keeps the page and every answer on it; offline.js says why.
 * - Nothing else is kept: no answer to a POST, no knowledge check, no hand-in.
 * - A learning package's commits bypass this worker entirely (a static route, where the
 *   browser has them): the last one goes by beacon as the player page closes, and a
 *   beacon that must first wake a worker is sometimes lost with the page.
 * Every sign-out clears all of it (Clear-Site-Data: "cache", "storage").
 */
importScripts({{ (workbox ~ "workbox-sw.js")|tojson }});
// modulePathPrefix (sic): a misspelt option is ignored and the modules load from Google.
workbox.setConfig({ modulePathPrefix: {{ workbox|tojson }}, debug: false });

const { backgroundSync, cacheableResponse, core, expiration, precaching, routing, strategies } =
  workbox;

const PAGES = "lernwerk-pages";
const CONTENT = "lernwerk-content";
const STATIC = "lernwerk-static";
const OFFLINE_PAGE = {{ offline_page|tojson }};
// The lesson page a "done" sent offline returns to; offline.js says it is queued.
const QUEUED_MARK = "#saved-offline";

// "Meine Lernmodule", a module's page, one of its units (not an attempt, a result, a file).
const LEARNER_PAGE = /^\/learn\/(?:courses\/[^/]+(?:\/[^/]+)?)?$/;
const LESSON_DONE = /^\/learn\/courses\/[^/]+\/[^/]+\/done$/;
const COURSE_FILE = /^\/content\//;
const LOOK = /^\/(?:static|look)\//;

// A learning package's commits (lms/packages: /learn/package-commits/<token>) go
// straight to the network, never through this worker, where the browser can be told so
// (Chromium's static routing): the player's beacon as its page closes is sent by the
// browser alone then. Other browsers route them through the fetch handler below, which
// leaves them alone too.
self.addEventListener("install", (event) => {
  if (typeof event.addRoutes !== "function" || typeof URLPattern !== "function") return;
  event.waitUntil(
    event
      .addRoutes({
        condition: { urlPattern: new URLPattern({ pathname: "/learn/package-commits/*" }) },
        source: "network",
      })
      .catch(() => undefined),
  );
});

core.setCacheNameDetails({ prefix: "lernwerk", suffix: "", precache: "shell", runtime: "runtime" });
self.skipWaiting();
core.clientsClaim();

precaching.precacheAndRoute({{ precache|tojson }}, { ignoreURLParametersMatching: [/.*/] });

// Only whole, good answers of this site are kept: never a redirect (to the sign-in
// page, say) under a lesson's address, never an error page.
const onlyGoodAnswers = {
  cacheWillUpdate: async ({ response }) =>
    response && response.status === 200 && response.type === "basic" && !response.redirected
      ? response
      : null,
};

const learnerPages = new strategies.NetworkFirst({
  cacheName: PAGES,
  networkTimeoutSeconds: 4,
  plugins: [onlyGoodAnswers],
  // Signed-in pages vary by cookie; the cache is the person's own and cleared at sign-out.
  matchOptions: { ignoreVary: true },
});

const courseFiles = new strategies.CacheFirst({
  cacheName: CONTENT,
  plugins: [
    new cacheableResponse.CacheableResponsePlugin({ statuses: [200] }),
    new expiration.ExpirationPlugin({
      maxEntries: 500,
      maxAgeSeconds: 180 * 24 * 60 * 60,
      purgeOnQuotaError: true,
    }),
  ],
  matchOptions: { ignoreVary: true },
});

routing.registerRoute(
  ({ request, url, sameOrigin }) =>
    sameOrigin && request.mode === "navigate" && !url.search && LEARNER_PAGE.test(url.pathname),
  learnerPages,
);
routing.registerRoute(
  ({ request, url, sameOrigin }) =>
    sameOrigin && request.destination === "image" && COURSE_FILE.test(url.pathname),
  courseFiles,
);
routing.registerRoute(
  ({ url, sameOrigin }) => sameOrigin && LOOK.test(url.pathname),
  new strategies.StaleWhileRevalidate({ cacheName: STATIC, plugins: [onlyGoodAnswers] }),
);

// "Als erledigt markieren": sent at once when the network answers; otherwise queued
// with its form (and CSRF token) and sent again when the network is back.
const doneQueue = new backgroundSync.Queue("lernwerk-done", {
  maxRetentionTime: 14 * 24 * 60, // minutes: a fortnight
});

async function sendDone({ request, url }) {
  const kept = request.clone();
  const giveUp = new AbortController();
  const timer = setTimeout(() => giveUp.abort(), 10000);
  try {
    return await fetch(request, { signal: giveUp.signal });
  } catch (error) {
    await doneQueue.pushRequest({ request: kept });
    return Response.redirect(url.pathname.replace(/\/done$/, "") + QUEUED_MARK, 303);
  } finally {
    clearTimeout(timer);
  }
}

routing.registerRoute(
  ({ url, sameOrigin }) => sameOrigin && LESSON_DONE.test(url.pathname),
  sendDone,
  "POST",
);

// A knowledge check's page or a hand-in sent while the network is gone (the browser
// believed it was there): "204 No Content" keeps the page as it is, with every answer
// typed, and offline.js is told to say so. Nothing is queued: these need the server.
const NEEDS_NETWORK = /^\/learn\/courses\/[^/]+\/[^/]+\/(?:attempts|handin)(?:\/|$)/;

async function sendOrKeepThePage({ request, url }) {
  try {
    return await fetch(request);
  } catch (error) {
    const windows = await self.clients.matchAll({ type: "window" });
    for (const client of windows) {
      if (client.url.split("#")[0] === request.referrer.split("#")[0]) {
        client.postMessage({ type: "not-sent", path: url.pathname });
      }
    }
    return new Response(null, { status: 204 });
  }
}

routing.registerRoute(
  ({ url, sameOrigin }) => sameOrigin && NEEDS_NETWORK.test(url.pathname),
  sendOrKeepThePage,
  "POST",
);

// Every other page: the network, or the offline page.
routing.registerRoute(({ request }) => request.mode === "navigate", new strategies.NetworkOnly());
routing.setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate") {
    const page = await precaching.matchPrecache(OFFLINE_PAGE);
    if (page) return page;
  }
  return Response.error();
});

// "Für unterwegs speichern": offline.js sends the module's list (offline.json) and a
// port for the progress; each lesson counts once its page and images are kept.
const isLearnerPage = (path) => typeof path === "string" && path.startsWith("/learn/courses/");
const isCourseFile = (path) => typeof path === "string" && COURSE_FILE.test(path);

async function keepPage(cache, path) {
  const response = await fetch(path, { credentials: "same-origin" });
  if (!(await onlyGoodAnswers.cacheWillUpdate({ response }))) {
    throw new Error(`not kept: ${path}`);
  }
  await cache.put(path, response);
}

async function keepFile(path, event) {
  const [response, done] = courseFiles.handleAll({
    request: new Request(path, { credentials: "same-origin" }),
    event,
  });
  if (!(await response).ok) throw new Error(`not kept: ${path}`);
  await done;
}

async function saveModule(data, port, event) {
  const lessons = Array.isArray(data.lessons) ? data.lessons : [];
  const cache = await caches.open(PAGES);
  const total = lessons.length;
  let saved = 0;
  let failed = 0;
  if (isLearnerPage(data.module)) await keepPage(cache, data.module).catch(() => undefined);
  const waiting = lessons.slice();
  async function worker() {
    while (waiting.length) {
      const lesson = waiting.shift() || {};
      const files = (Array.isArray(lesson.assets) ? lesson.assets : []).filter(isCourseFile);
      try {
        if (!isLearnerPage(lesson.url)) throw new Error("not a lesson");
        await Promise.all([keepPage(cache, lesson.url), ...files.map((f) => keepFile(f, event))]);
        saved += 1;
      } catch (error) {
        failed += 1;
      }
      port.postMessage({ type: "progress", saved, failed, total });
    }
  }
  await Promise.all([worker(), worker(), worker()]);
  port.postMessage({ type: "finished", saved, failed, total });
}

self.addEventListener("message", (event) => {
  if (event.origin && event.origin !== self.location.origin) return;
  const data = event.data || {};
  if (data.type === "save-module" && event.ports[0]) {
    event.waitUntil(saveModule(data, event.ports[0], event));
  } else if (data.type === "send-queued") {
    // Browsers without Background Sync (and a quicker way where it exists): a page that
    // is online again asks for the queue to be sent.
    event.waitUntil(doneQueue.replayRequests().catch(() => undefined));
  }
});
