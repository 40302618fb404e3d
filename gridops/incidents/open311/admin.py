"""Open311 keys in the admin: issuing shows the key once (the library's admin); revoke is a
checkbox that cannot be unticked. The library's own generic `APIKey` is not ours to offer."""
from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from .models import Open311Key

if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(Open311Key)
class Open311KeyAdmin(APIKeyModelAdmin):
    list_display = (*APIKeyModelAdmin.list_display, "last_used_at")
