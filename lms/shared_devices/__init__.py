"""Feature: a company's shared devices and kiosk mode (issue 19): marking a browser as
a shared device, the "Wer lernt jetzt?" start screen, signing out after inactivity and
with "Fertig".

`views.bp` is registered on the app at /kiosk; `views.area_bp` under the manager's area
at /devices and the admin's at /companies/<id>/devices.
"""
