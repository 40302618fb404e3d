# The production image: gridops.settings.production (DEBUG off, no demo data or accounts, every
# secret from the environment), served by uvicorn as an unprivileged user behind a reverse proxy
# (docker/nginx.conf). `docker compose up` runs it with PostGIS, Redis, the workers and nginx.
# The development path (demo district, local settings) is `make run`, not this image.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DEBIAN_FRONTEND=noninteractive \
    DJANGO_SETTINGS_MODULE=gridops.settings.production PATH=/app/.venv/bin:$PATH
RUN apt-get update && apt-get install -y --no-install-recommends \
        gdal-bin libgdal-dev libgeos-dev libproj-dev binutils gettext postgresql-client nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# Build steps need settings to import, not secrets: throwaway values live only in this RUN.
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir -e . \
    && cd frontend && npm ci --no-audit --no-fund && cd .. && python frontend/vendor_assets.py \
    && rm -rf frontend/node_modules \
    && export SECRET_KEY="build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
              DATABASE_URL=postgis://build@127.0.0.1:1/build ALLOWED_HOSTS=build GRIDOPS_LEDGER_SIGNING_KEY= \
    && python manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules \
    && python manage.py collectstatic --noinput -v 0 \
    && useradd --system --uid 10001 --home-dir /app gridops \
    && mkdir -p /app/media && chown -R gridops /app/media
USER gridops
VOLUME ["/app/media"]
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
