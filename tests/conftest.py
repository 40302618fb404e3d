"""Shared fixtures: the real PostGIS test database (pytest-django) and inline geometries."""
