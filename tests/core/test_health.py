"""/healthz answers without the database; /readyz says whether PostgreSQL and Redis answer."""
import pytest


def test_healthz_needs_no_database(client):
    """No django_db mark: pytest-django fails any database access in this test."""
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_checks_postgresql_and_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["checks"]["postgresql"]["ok"] and body["checks"]["redis"]["ok"]


@pytest.mark.django_db
def test_readyz_is_503_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert response.json()["checks"]["postgresql"]["ok"]
