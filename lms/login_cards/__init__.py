"""Feature: printed login cards and paper invitation letters (issue 19): printing them
as a PDF, revoking them, their use log, and signing in by scanning or typing a card.

`views.bp` is registered on the app (the card's address and the short-code form);
`views.area_bp` under the manager's area at /login-cards and the admin's at
/companies/<id>/login-cards.
"""
