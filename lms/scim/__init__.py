"""SCIM 2.0 provisioning (/scim/v2/): a company's identity system (Entra ID, Okta,
Keycloak, …) creates, changes and deactivates its people and departments (issue 20)."""
