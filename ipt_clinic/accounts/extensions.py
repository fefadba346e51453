"""Hooks through which higher apps take part in staff changes without accounts importing them.

Dependencies point one way (accounts <- patients <- sessions ...), yet whether a therapist may
be deactivated depends on their open courses, which live in sessions. So sessions registers,
in its AppConfig.ready(), a caseload check: a callable (user) -> list of problems, in words a
clinic admin can act on ("3 open courses: hand them over first"). Deactivating a therapist,
or taking the therapist role away, is refused while any check reports a problem.
"""

from collections.abc import Callable

CaseloadCheck = Callable[..., list[str]]

caseload_checks: list[CaseloadCheck] = []


def register_caseload_check(check: CaseloadCheck) -> CaseloadCheck:
    if check not in caseload_checks:
        caseload_checks.append(check)
    return check


def caseload_problems(user) -> list[str]:
    return [problem for check in caseload_checks for problem in check(user)]
