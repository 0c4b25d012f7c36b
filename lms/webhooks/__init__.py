"""Feature: webhooks (issue 20). A company's admin registers HTTPS endpoints of the
company's own systems; Lernwerk tells them of events (a completion recorded, a
certificate expiring, an assignment overdue, a person created or deactivated).

`service.emit` writes one outbox row (kind "webhook") per subscribed endpoint in the
transaction of the change; `delivery.deliver_due` (run by `lms mail send`) signs and
posts them, with the outbox's retries and backoff; `events` builds what each event
says; `views.bp` holds the admin's pages (/admin/companies/<id>/webhooks/).
"""
