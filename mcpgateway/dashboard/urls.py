from django.urls import path

from . import team, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("connect", views.connect_client, name="connect_client"),
    path("tokens/create", views.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke", views.token_revoke, name="token_revoke"),
    path("sessions/<uuid:session_id>/revoke", views.session_revoke, name="session_revoke"),
    path("team", team.team, name="team"),
    path("team/invitations", team.team_invitations, name="team_invitations"),
    path("team/invitations/create", team.team_invitation_create, name="team_invitation_create"),
    path("team/invitations/<int:invitation_id>/revoke", team.team_invitation_revoke, name="team_invitation_revoke"),
]
