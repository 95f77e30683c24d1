"""Single sign-on's routes, under /oidc/ (config/urls.py): the redirect URI registered at the
provider is <PUBLIC_BASE_URL>/oidc/callback/ (accounts.sso.CALLBACK_PATH). They answer 404 while
single sign-on is not configured."""

from django.urls import path

from .views import SsoCallbackView, SsoStartView

urlpatterns = [
    path("authenticate/", SsoStartView.as_view(), name="oidc_authentication_init"),
    path("callback/", SsoCallbackView.as_view(), name="oidc_authentication_callback"),
]
