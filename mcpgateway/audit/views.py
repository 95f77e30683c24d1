"""A person's own activity: their audit rows, newest first (admins see everyone's in the admin)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .selectors import activity_page


@require_GET
@login_required
def activity(request):
    page = activity_page(user=request.user, page_number=request.GET.get("page", 1))
    return render(request, "activity.html", {"page": page, "events": page.object_list})
