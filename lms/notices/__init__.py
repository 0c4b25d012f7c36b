"""Feature: notices in the app (the notices page, the header's count of unread ones), a
manager's reminder to an overdue person, and each company's reminder settings.

`service.py` posts, reads and prunes notices and sends a manager's reminder;
`views.py` is the notices page of every signed-in user; `settings.py` the reminder
settings, a blueprint registered under the manager's and the admin's area.
"""
