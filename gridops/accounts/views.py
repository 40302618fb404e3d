"""Account pages: Django's login view with our template, and a logout page (POST to sign out)."""
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods


@require_http_methods(["GET", "POST"])
def logout_page(request):
    """GET shows a confirmation form (logging out on GET would let any link sign users out)."""
    if request.method == "POST":
        logout(request)
        return redirect("login")
    return render(request, "accounts/logout.html")
