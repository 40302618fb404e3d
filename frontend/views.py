"""Thin page views: templates fetch their data from the API."""
from django.shortcuts import render


def zone_map(request):
    return render(request, "frontend/zone_map.html")
