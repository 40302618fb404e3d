"""Import catchments (school + zone code or polygon) into a new or existing draft plan."""
from django.core.management.base import BaseCommand, CommandError

from gridops.education.loaders import import_catchments
from gridops.education.models import CatchmentPlan


class Command(BaseCommand):
    help = "Import catchment memberships into a draft plan; a dry run unless --commit."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--name", default="", help="name of the new draft plan")
        parser.add_argument("--plan", type=int, help="id of a draft plan whose members are replaced")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args, path, name, plan, commit, **options):
        target = CatchmentPlan.objects.filter(pk=plan).first() if plan else None
        if plan and target is None:
            raise CommandError(f"plan {plan} does not exist")
        report = import_catchments(path, name=name, plan=target, commit=commit, log=self.stdout.write)
        for problem in report.problems:
            self.stderr.write(str(problem))
        self.stdout.write(f"{report.features} features, {len(report.problems)} problems, committed: {report.committed}")
        if report.problems:
            raise CommandError("nothing imported")
