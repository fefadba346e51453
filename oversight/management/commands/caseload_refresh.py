"""Recompute every course's stored caseload facts (oversight/store.py).

The services keep the facts current as they change a course; data written around them (a
restore from an older version, a bulk import, the demo generator) is brought up to date by
this command. scripts/run.sh and docker-compose's migrate service run it after `migrate`.
"""

import time

from django.core.management.base import BaseCommand

from oversight import store
from sessions.models import Course


class Command(BaseCommand):
    help = "Recompute the stored caseload facts of every course (or of one clinic's)."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", type=int, help="only this clinic's courses (its id)")

    def handle(self, *args, clinic=None, verbosity=1, **options):
        courses = Course.objects.all()
        if clinic is not None:
            courses = courses.filter(patient__clinic_id=clinic)
        started = time.perf_counter()
        count = store.refresh_all(courses)
        if verbosity:
            self.stdout.write(
                f"Caseload facts recomputed for {count} courses in "
                f"{time.perf_counter() - started:.1f} s."
            )
