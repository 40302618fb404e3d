"""Regenerate the synthetic Chancheng GeoPackage (deterministic for a given seed)."""
from pathlib import Path

from django.core.management.base import BaseCommand

from geodata.loaders import generate


class Command(BaseCommand):
    help = "Partition the real district outline into the 4/12/139/921 hierarchy and write a GeoPackage."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=generate.DEFAULT_OUTPUT)
        parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)

    def handle(self, *args, output, seed, **options):
        generate.run(output, seed=seed, log=self.stdout.write)
