"""Bearer tokens for the REST API and SCIM (issue 20): created by an admin, shown once,
stored as digests, revocable; `service` holds every state change and the lookup."""
