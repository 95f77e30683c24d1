"""A small OpenID Connect provider for the single sign-on tests: django-oauth-toolkit in OIDC mode,
as its own Django project, run in its own process (`process.OidcProvider`)."""
