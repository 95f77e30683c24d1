"""The gateway as OAuth authorization server for /mcp: django-oauth-toolkit, configured and
extended (validator, server, views, templates). See docs/oauth.md."""
