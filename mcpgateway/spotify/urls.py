from django.urls import path

from . import views

urlpatterns = [
    path("spotify/connect", views.spotify_connect, name="spotify_connect"),
    path("spotify/callback", views.spotify_callback, name="spotify_callback"),
    path("spotify/disconnect", views.spotify_disconnect, name="spotify_disconnect"),
]
