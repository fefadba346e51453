"""Hooks through which higher apps take part in patient changes without patients importing
them (dependencies point one way: accounts <- patients <- sessions ...).

Whether a patient may be archived depends on their courses, which live in sessions. So
sessions registers, in its AppConfig.ready(), an archive check: a callable (patient) -> list
of problems, in words the therapist can act on. Archiving is refused while any check reports
one.
"""

from collections.abc import Callable

ArchiveCheck = Callable[..., list[str]]

archive_checks: list[ArchiveCheck] = []


def register_archive_check(check: ArchiveCheck) -> ArchiveCheck:
    if check not in archive_checks:
        archive_checks.append(check)
    return check


def archive_problems(patient) -> list[str]:
    return [problem for check in archive_checks for problem in check(patient)]
