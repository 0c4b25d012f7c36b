"""Feature: signing in with the company's sign-in code, a personnel number and a PIN
(people without an e-mail address, issue 19), choosing and resetting a PIN.

`views.bp` is registered on the app at /pin; `views.people_bp` under the manager's and
the admin's people pages (resetting a person's PIN).
"""
