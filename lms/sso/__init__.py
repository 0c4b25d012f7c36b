"""Feature: single sign-on through a company's OpenID Connect provider (issue 20).

`oidc.py` speaks the protocol (discovery, PKCE, code exchange, the ID token's checks;
Authlib and joserfc); `service.py` keeps a company's settings, domains and group
mappings and finds the person a provider vouches for; `views.py` holds the sign-in
routes (`bp`, /sso, public) and the admin's settings page (`settings_bp`, under
/admin/companies/<id>/sso).
"""
