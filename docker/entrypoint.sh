#!/bin/sh
# Production entrypoint of the GridOps image (DJANGO_SETTINGS_MODULE=gridops.settings.production).
# Secrets come from the environment only; production settings refuse to start without them.
#   web     migrate (unless GRIDOPS_MIGRATE_ON_START=0), then uvicorn behind the reverse proxy
#   worker  the periodic workers (escalation, ledger heads, ...), one container of its own
#   other   run as given (e.g. `manage.py createsuperuser`)
set -eu
cd "$(dirname "$0")/.."  # the project root (/app in the image)
case "${1:-web}" in
  web)
    if [ "${GRIDOPS_MIGRATE_ON_START:-1}" = "1" ]; then
      python manage.py migrate --noinput
    fi
    exec python manage.py serve --host "${GRIDOPS_BIND_HOST:-0.0.0.0}"
    ;;
  worker)
    exec python manage.py run_workers
    ;;
  *)
    exec "$@"
    ;;
esac
