"""The test suite's URLconf (config/settings_test.py): the product's, plus what only tests call.

`test/refresh-sweep`: sends the beat's refresh sweep to the Celery worker from inside a request, as
a product page that queues work would; the observability tests follow the request id into the
task's log lines (tests/mcpgateway/core/test_observability_processes.py).
"""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import handler500  # noqa: F401  the product's error handlers are this URLconf's too
from config.urls import urlpatterns as product_urlpatterns
from mcpgateway.spotify.tasks import refresh_expiring_grants


@csrf_exempt
@require_POST
def send_refresh_sweep(request):
    result = refresh_expiring_grants.delay()
    return JsonResponse({"task_id": result.id})


urlpatterns = [*product_urlpatterns, path("test/refresh-sweep", send_refresh_sweep)]
