from django.core.management.base import BaseCommand

from gridops.core.server import serve


class Command(BaseCommand):
    help = "Serve GridOps over HTTP and websockets (uvicorn with the project's options; see core/server.py)."
    requires_system_checks: list = []  # each worker process checks on import; the supervisor only forks

    def add_arguments(self, parser):
        parser.add_argument("--host", help="address to bind (default GRIDOPS_BIND_HOST)")
        parser.add_argument("--port", type=int, help="port (default GRIDOPS_BIND_PORT)")
        parser.add_argument("--workers", type=int, help="worker processes (default WEB_CONCURRENCY)")
        parser.add_argument("--forwarded-allow-ips", help="proxies trusted for X-Forwarded-* (default FORWARDED_ALLOW_IPS)")
        parser.add_argument("--access-log", action="store_true", help="log a line per request (off by default)")
        parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])

    def handle(self, *args, host, port, workers, forwarded_allow_ips, log_level, access_log, **options):
        serve(host=host, port=port, workers=workers, forwarded_allow_ips=forwarded_allow_ips, log_level=log_level,
              access_log=access_log)
