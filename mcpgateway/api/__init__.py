"""The REST API (/api/): the dashboard's and the admins' actions for browsers (session + CSRF) and
scripts (a personal access token with the `api` scope). See mcpgateway/api/api.py."""
