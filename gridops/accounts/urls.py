"""Pages of the accounts app: login and logout in the site's style (API routes in api/urls.py)."""
from django.contrib.auth import views as auth_views
from django.urls import path

from gridops.core.ratelimit import login_limited

from . import views

urlpatterns = [
    path("accounts/login/", login_limited(auth_views.LoginView.as_view(
        template_name="accounts/login.html", redirect_authenticated_user=True)), name="login"),
    path("accounts/logout/", views.logout_page, name="logout"),
]
