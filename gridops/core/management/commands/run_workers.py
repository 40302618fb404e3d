import importlib
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from gridops.core.workers import WORKERS


class Command(BaseCommand):
    help = "Run the periodic background workers (escalation sweep, tree-head signing) until stopped."

    def handle(self, *args, **options):
        funcs = {}
        for dotted, interval in WORKERS.items():
            module_name, func_name = dotted.rsplit(".", 1)
            funcs[dotted] = (getattr(importlib.import_module(module_name), func_name), interval)
        next_run = {dotted: 0.0 for dotted in funcs}
        while True:
            now = time.monotonic()
            for dotted, (func, interval) in funcs.items():
                if now >= next_run[dotted]:
                    close_old_connections()
                    try:
                        func()
                    except Exception as exc:  # a worker must survive a failing sweep; it is retried next tick
                        self.stderr.write(f"{dotted} failed: {exc!r}")
                    next_run[dotted] = now + interval
            time.sleep(1.0)
