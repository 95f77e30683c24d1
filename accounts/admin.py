from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "is_staff", "is_active", "spotify_status", "last_login")
    list_select_related = ("spotify_grant",)

    @admin.display(description="Spotify")
    def spotify_status(self, user: User) -> str:
        grant = getattr(user, "spotify_grant", None)
        return grant.get_status_display() if grant else "not connected"
