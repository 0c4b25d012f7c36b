"""LTI 1.3, the tool side (issue 21): a company's own learning platform (Moodle, ILIAS)
launches its people into a Lernwerk module and gets the result back.

`protocol.py` speaks LTI: the platform's keys, the launch's ID token, Lernwerk's own
key and the OAuth 2.0 client assertion, the score. `service.py` holds the platforms,
the launches on their way, who a platform's person is, the grade links and the
scores queued in the outbox; `delivery.py` sends those scores (kind "lti_score");
`views.py` the public /lti pages and the admin's pages of a company's platforms.
"""
