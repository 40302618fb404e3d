"""Pages: the zone map at /, and the other apps' pages."""
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import views

# Scripts' strings (gettext() in the browser) in the request's language, from the djangojs catalogues.
javascript_catalog = JavaScriptCatalog.as_view()

urlpatterns = [
    path("", views.zone_map, name="zone-map"),
    path("jsi18n/", javascript_catalog, name="javascript-catalog"),
]
