"""The stored caseload facts: every write to a source table marks them stale (PostgreSQL
triggers), stale rows are recomputed before the dashboard reads them, and the flags that
depend on the clock are raised by the passing of time alone."""

import re
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from inventory.models import Formulation, ProblemArea, Relationship, SessionFocus
from oversight import store
from oversight.flags import FACTS, FLAGS
from oversight.models import CourseFacts, FlagThresholds
from oversight.selectors import caseload_for
from sessions.models import Course, Measure, TherapySession
from tests.conftest import make_patient, open_course
from tests.oversight.test_flags import held, phq9
from tests.oversight.test_views import bulk_courses


def refreshed(course) -> CourseFacts:
    store.refresh(
        Course.objects.filter(pk=course.pk), FlagThresholds.for_clinic(course.patient.clinic_id)
    )
    facts = CourseFacts.objects.get(pk=course.pk)
    assert not facts.stale
    return facts


def is_stale(course) -> bool:
    return CourseFacts.objects.get(pk=course.pk).stale


def test_every_fact_and_flag_has_a_column():
    columns = {field.name for field in CourseFacts._meta.concrete_fields}
    assert set(FACTS) <= columns
    assert {f"{flag.code}_from" for flag in FLAGS} <= columns


# --- Triggers (PostgreSQL) -----------------------------------------------------------------


def _session(course, number=1):
    return TherapySession.objects.filter(course=course, number=number)


def _area(course):
    return ProblemArea.objects.create(course=course, area="role_transition")


def _relationship(course):
    return Relationship.objects.create(course=course, name="A", relation="friend", ring=2)


WRITES = {
    # Each through update(), bulk_create() or delete(): no save(), no signal.
    "course updated": lambda c: Course.objects.filter(pk=c.pk).update(planned_sessions=14),
    "session updated": lambda c: _session(c).update(risk_check_note="checked"),
    "session added": lambda c: TherapySession.objects.bulk_create(
        [TherapySession(course=c, number=13, scheduled_start=timezone.now())]
    ),
    "measure added": lambda c: phq9(c, 1, 12),
    "measure updated": lambda c: Measure.objects.filter(course=c).update(item_9=1),
    "problem area added": _area,
    "problem area removed": lambda c: ProblemArea.objects.filter(course=c).delete(),
    "formulation added": lambda c: Formulation.objects.create(course=c, text="t", rationale="r"),
    "formulation agreed": lambda c: Formulation.objects.filter(course=c).update(
        agreed_on=timezone.localdate()
    ),
    "relationship added": _relationship,
    "relationship changed": lambda c: Relationship.objects.filter(course=c).update(deceased=True),
    "session focus added": lambda c: SessionFocus.objects.create(session=_session(c).get()),
    "session focus removed": lambda c: SessionFocus.objects.filter(session__course=c).delete(),
}
# What each write needs to find in place.
BEFORE = {
    "measure updated": lambda c: phq9(c, 1, 12),
    "problem area removed": _area,
    "formulation agreed": lambda c: Formulation.objects.create(course=c, text="t", rationale="r"),
    "relationship changed": _relationship,
    "session focus removed": lambda c: SessionFocus.objects.create(session=_session(c).get()),
}


@pytest.mark.parametrize("write", WRITES)
def test_each_source_write_marks_the_course_stale(require_postgres, therapist, write):
    course = open_course(make_patient(therapist), start=timezone.localdate())
    other = open_course(make_patient(therapist), start=timezone.localdate())
    BEFORE.get(write, lambda c: None)(course)
    refreshed(course), refreshed(other)
    WRITES[write](course)
    assert is_stale(course)
    assert not is_stale(other)


def test_a_new_course_has_a_stale_row_from_the_start(require_postgres, therapist):
    course = open_course(make_patient(therapist))
    assert is_stale(course)


def test_bulk_inserts_mark_every_course_they_touch(require_postgres, therapist):
    courses = bulk_courses(therapist, 30)
    assert CourseFacts.objects.filter(pk__in=[c.pk for c in courses], stale=True).count() == 30


# --- Concurrency (PostgreSQL; committed transactions in threads) ---------------------------

RISK_CHECKED = "Asked; no plan, no intent."


@pytest.fixture
def committed_course(require_postgres, transactional_db):
    """A committed course with an item-9 PHQ-9 not followed up: its stored risk fact tells
    which version of the record a refresh read."""
    from ipt_clinic.accounts.models import Clinic
    from tests.conftest import make_user

    clinic = Clinic.objects.create(name="Threads clinic")
    therapist = make_user("threads@clinic.example", clinic, is_therapist=True)
    course = open_course(make_patient(therapist), start=timezone.localdate())
    phq9(course, 1, 12, item_9=1)
    assert refreshed(course).risk_open
    return course


class InThread:
    """Runs `work` in a thread, on its own connection; join() raises what it raised."""

    def __init__(self, work):
        self.error = None

        def run():
            try:
                work()
            except Exception as error:  # handed to the test by join()
                self.error = error
            finally:
                connections.close_all()

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def join(self):
        self.thread.join(20)
        assert not self.thread.is_alive()
        if self.error:
            raise self.error


def uncommitted_risk_check(course, written: threading.Event, release: threading.Event):
    with transaction.atomic():
        _session(course).update(risk_check_note=RISK_CHECKED)
        written.set()
        assert release.wait(10)


def test_a_write_in_progress_is_neither_waited_for_nor_lost(committed_course):
    course = committed_course
    written, release = threading.Event(), threading.Event()
    writer = InThread(lambda: uncommitted_risk_check(course, written, release))
    try:
        assert written.wait(10)
        refreshed(course)  # returns at once: the write is not committed, nothing is stale
        assert CourseFacts.objects.get(pk=course.pk).risk_open
    finally:
        release.set()
        writer.join()
    assert is_stale(course)  # marked at the commit
    assert not refreshed(course).risk_open


def test_a_course_without_a_row_gets_one_and_a_concurrent_write_is_kept(committed_course):
    course = committed_course
    CourseFacts.objects.filter(pk=course.pk).delete()  # as if the triggers had been bypassed
    written, release = threading.Event(), threading.Event()
    writer = InThread(lambda: uncommitted_risk_check(course, written, release))
    try:
        assert written.wait(10)
        assert refreshed(course).risk_open  # computed without the uncommitted write
    finally:
        release.set()
        writer.join()
    assert is_stale(course)
    assert not refreshed(course).risk_open


def test_a_refresh_waits_for_a_row_another_transaction_holds(committed_course):
    """As when two supervisors open their dashboards at once: the second waits for the
    first's rows instead of showing them as they were before."""
    course = committed_course
    _session(course).update(risk_check_note=RISK_CHECKED)
    assert is_stale(course)
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            list(CourseFacts.objects.filter(pk=course.pk).select_for_update())
            locked.set()
            assert release.wait(10)

    holder = InThread(hold)
    assert locked.wait(10)
    threading.Timer(0.3, release.set).start()
    facts = refreshed(course)  # asserts the row is fresh: it was not skipped
    holder.join()
    assert not facts.risk_open


def test_the_triggers_add_no_deadlock_between_writers(committed_course):
    """Attendance saves the session and then the course; a handover locks the course and
    then updates it. Marking the facts stale at the statement made PostgreSQL fail one of
    them; deferred to the commit, both go through."""
    course = committed_course
    session_saved, course_locked, go_on = (threading.Event() for _ in range(3))

    def attendance():
        with transaction.atomic():
            _session(course).update(attendance="attended", actual_minutes=50)
            session_saved.set()
            assert course_locked.wait(10)
            Course.objects.filter(pk=course.pk).update(status="active")  # waits: handover

    def handover():
        assert session_saved.wait(10)
        with transaction.atomic():
            list(Course.objects.filter(pk=course.pk).select_for_update())
            course_locked.set()
            assert go_on.wait(10)
            Course.objects.filter(pk=course.pk).update(planned_sessions=14)

    first, second = InThread(attendance), InThread(handover)
    assert course_locked.wait(10)
    time.sleep(0.3)  # the attendance now waits for the course
    go_on.set()
    first.join()
    second.join()
    assert is_stale(course)


# --- Reading -------------------------------------------------------------------------------


def test_dashboard_reflects_a_write_made_without_the_services(client_for, supervisor, therapist):
    course = open_course(make_patient(therapist, family_name="Riskcheck"))
    held(course, 1)
    phq9(course, 1, 12, item_9=2)
    client = client_for(supervisor)
    url = reverse("supervisor_home")
    assert "Riskcheck" in client.get(url, {"flag": "risk_unchecked"}).content.decode()
    _session(course).update(risk_check_note="Asked; no plan, no intent.")
    assert "Riskcheck" not in client.get(url, {"flag": "risk_unchecked"}).content.decode()


def test_changed_thresholds_recompute_the_flags(supervisor, therapist, clinic):
    course = open_course(
        make_patient(therapist), start=timezone.localdate() - timedelta(weeks=3, days=1)
    )
    held(course, 1)  # three weeks ago
    assert len(caseload_for(supervisor, flag="gap").ids) == 1
    FlagThresholds.objects.update_or_create(clinic=clinic, defaults={"gap_days": 30})
    assert len(caseload_for(supervisor, flag="gap").ids) == 0
    assert CourseFacts.objects.get(pk=course.pk).gap_from == course.sessions.get(
        number=1
    ).scheduled_start + timedelta(days=30)


def test_clock_flags_are_raised_by_time_alone(supervisor, therapist):
    """No write, no recomputation: the gap flag is raised once its instant has passed."""
    course = open_course(make_patient(therapist), start=timezone.localdate() - timedelta(days=13))
    held(course, 1)
    last = course.sessions.get(number=1).scheduled_start
    assert len(caseload_for(supervisor, flag="gap").ids) == 0
    computed = CourseFacts.objects.get(pk=course.pk)
    assert computed.gap_from == last + timedelta(days=14)

    later = last + timedelta(days=14, minutes=1)
    with mock.patch("oversight.selectors.timezone.now", return_value=later):
        caseload = caseload_for(supervisor, flag="gap")
        shown = caseload.courses(caseload.ids)
    assert [c.pk for c in shown] == [course.pk] and shown[0].flag_gap
    if connection.vendor == "postgresql":
        assert not CourseFacts.objects.get(pk=course.pk).stale


def test_refresh_runs_the_same_queries_for_10_and_1000_stale_courses(
    require_postgres, client_for, supervisor, therapist
):
    from django.test.utils import CaptureQueriesContext

    client = client_for(supervisor)
    url = reverse("supervisor_home")

    def cold_get() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    bulk_courses(therapist, 10)
    ten = cold_get()
    bulk_courses(therapist, 1000, offset=10)
    assert CourseFacts.objects.filter(stale=True).count() == 1000
    assert cold_get() == ten
    assert not CourseFacts.objects.filter(stale=True).exists()


def test_every_table_the_facts_read_has_the_triggers(require_postgres, course):
    """A fact read from a table without the triggers would go stale unnoticed: the tables
    in fact_rows' SQL must be exactly those that mark the facts stale."""
    from django.test.utils import CaptureQueriesContext

    from oversight.flags import fact_rows

    with CaptureQueriesContext(connection) as captured:
        fact_rows(Course.objects.filter(pk=course.pk), store.COURSE_FIELDS)
    read = set()
    for query in captured.captured_queries:
        read |= set(re.findall(r'(?:FROM|JOIN) "(\w+)"', query["sql"]))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname = 'caseload_stale'"
        )
        triggered = {name for (name,) in cursor.fetchall()}
    assert read == triggered
