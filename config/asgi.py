"""ASGI entry point: Django behind uvicorn (or any ASGI server)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()

if settings.SERVE_STATIC:
    # The single-machine run has no separate static server; this only looks at /static/ paths.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    application = ASGIStaticFilesHandler(application)
