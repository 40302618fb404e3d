# Mirrors `make run`: Debian 12, the same system packages, the same Python set-up and commands.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
        make gdal-bin libgdal-dev libgeos-dev libproj-dev binutils gettext postgresql-client \
        nodejs npm fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir -e . \
    && cd frontend && npm ci --no-audit --no-fund && cd .. && .venv/bin/python frontend/vendor_assets.py \
    && .venv/bin/python manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules \
    && .venv/bin/python manage.py collectstatic --noinput -v 0
EXPOSE 8000
CMD ["sh", "-c", ".venv/bin/python manage.py migrate --noinput && .venv/bin/python manage.py load_demo && (.venv/bin/python manage.py run_workers &) && exec .venv/bin/python -m uvicorn gridops.asgi:application --host 0.0.0.0 --port 8000 --workers 2"]
