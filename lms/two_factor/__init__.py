"""Feature: the second factor of the provider's staff (issue 20): a code from an
authenticator app (TOTP) and recovery codes, required for admins, optional for
trainers.

`views.bp` holds the sign-in steps after the password (public: the person is not
signed in yet) and each staff member's own pages under /profile/two-factor;
`views.init_app` also installs the check that sends an admin without a second factor
to set it up before anything else.
"""
