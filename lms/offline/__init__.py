"""Feature: reading offline (issue 19): the web app manifest, the service worker (built
from the vendored Workbox), "Für unterwegs speichern" and marking lessons done offline.

`views.bp` is registered on the app at the site's root (the service worker's scope).
"""
