"""The stored caseload facts: every service that changes what they are computed from
recomputes them in its own transaction, concurrent changes to one course are all kept, and
the flags that depend on the clock are raised by the passing of time alone."""

import re
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from inventory import services as inventory_services
from inventory.models import Relationship
from ipt_clinic.accounts.models import User
from oversight import services as oversight_services
from oversight import store
from oversight.flags import FACTS, FLAGS, fact_rows
from oversight.models import CourseFacts, FlagThresholds
from oversight.selectors import caseload_for
from risk import services as risk_services
from risk.models import RiskAlert, RiskEpisode
from sessions import services as session_services
from sessions.models import Course
from tests.conftest import attend, make_patient, open_course
from tests.oversight.test_flags import held
from tests.oversight.test_views import bulk_courses
from tests.risk.test_pathway import ASSESSED


def stored(course) -> dict:
    """The course's stored facts and flag instants."""
    return model_to_dict(CourseFacts.objects.get(pk=course.pk), fields=store.STORED)


def computed(course) -> dict:
    """What the facts and instants are, computed from the record now."""
    (row,) = fact_rows(Course.objects.filter(pk=course.pk), store.COURSE_FIELDS)
    thresholds = FlagThresholds.for_clinic(course.patient.clinic_id)
    return model_to_dict(store._computed(row, thresholds), fields=store.STORED)


def test_every_fact_and_flag_has_a_column():
    columns = {field.name for field in CourseFacts._meta.concrete_fields}
    assert set(FACTS) <= columns
    assert {f"{flag.code}_from" for flag in FLAGS} <= columns


# --- The services keep the facts current --------------------------------------------------


def _session(course, number):
    return course.sessions.get(number=number)


def _attended(course, number=1):
    return attend(_session(course, number))


def _formulated(course, area="role_transition", confirmed=False):
    inventory_services.formulation_save(
        by=course.therapist,
        course=course,
        text="Formulation",
        rationale="",
        agreed_on=timezone.localdate(),
        no_other_area_confirmed=confirmed,
        linked_people=[],
        linked_events=[],
        primary={"area": area},
        secondary=None,
    )


def _deficits_and_a_death(course):
    _formulated(course, "interpersonal_deficits", confirmed=True)
    _person(course)


def _person(course):
    inventory_services.relationship_save(
        by=course.therapist,
        relationship=Relationship(
            course=course, name="Dad", relation="father", ring=2, deceased=True
        ),
    )


def _note(course, **fields):
    session_services.session_note_save(
        by=course.therapist, session=_session(course, 1), fields=fields
    )


def _phq9(course):
    answers = {f"item_{n}": 2 for n in range(1, 10)}
    session_services.measure_record(
        by=course.therapist,
        session=_session(course, 1),
        kind="phq9",
        answers={**answers, "item_9": 1},
    )


def _assessed(course, number):
    risk_services.assessment_record(
        by=course.therapist,
        episode=RiskEpisode.objects.get(course=course),
        session=_session(course, number),
        fields=ASSESSED,
    )


def _thresholds(course):
    clinic = course.patient.clinic
    thresholds = FlagThresholds.for_clinic(clinic.pk)
    thresholds.gap_days = 30
    admin = User.objects.filter(clinic=clinic, is_clinic_admin=True).first()
    oversight_services.clinic_settings_save(
        by=admin, clinic=clinic, thresholds=thresholds, changed=[], thresholds_changed=["gap_days"]
    )


def _alerted(course):
    """A supervisor for the therapist, and an item 9 that alerts them."""
    from datetime import timedelta as days

    from ipt_clinic.accounts.models import Supervision
    from tests.conftest import make_user

    user = make_user("sup@clinic.test", course.patient.clinic, is_supervisor=True)
    Supervision.objects.create(
        supervisor=user, therapist=course.therapist, starts_on=today() - days(days=30)
    )
    _attended(course)
    _phq9(course)


def _acknowledged(course):
    alert = RiskAlert.objects.get(episode__course=course)
    risk_services.alert_acknowledge(by=alert.recipient, alert=alert)


def _schedule(course):
    clinic = course.patient.clinic
    clinic.gad7_every_sessions = 2
    admin = User.objects.filter(clinic=clinic, is_clinic_admin=True).first()
    oversight_services.clinic_settings_save(
        by=admin,
        clinic=clinic,
        thresholds=FlagThresholds.for_clinic(clinic.pk),
        changed=["gad7_every_sessions"],
        thresholds_changed=[],
    )


today = timezone.localdate
# Every service that changes what the facts read: the tables it writes among them, what
# must be in place first, and the change. Each changes at least one stored fact.
CHANGES = {
    "contract renegotiated": (
        {"therapy_sessions_course", "therapy_sessions_therapysession"},
        None,
        lambda c: session_services.course_renegotiate(
            by=c.therapist,
            course=c,
            new_planned=14,
            reason="More time",
            agreed_with_patient=True,
            changed_on=today(),
        ),
    ),
    "course ended early": (
        {"therapy_sessions_course"},
        None,
        lambda c: session_services.course_end_early(
            by=c.therapist, course=c, reason="Moved away", ended_on=today()
        ),
    ),
    "session rescheduled": (
        {"therapy_sessions_therapysession"},
        None,
        lambda c: session_services.session_reschedule(
            by=c.therapist,
            session=_session(c, 12),
            new_start=_session(c, 12).scheduled_start + timedelta(days=1),
            planned_minutes=50,
        ),
    ),
    "attendance recorded": ({"therapy_sessions_therapysession"}, None, _attended),
    "termination raised in a note": (
        {"therapy_sessions_therapysession"},
        _attended,
        lambda c: _note(c, termination_raised=True),
    ),
    "risk opened by an item 9": ({"risk_riskepisode"}, _attended, _phq9),
    "risk noted by the therapist": (
        {"risk_riskepisode"},
        None,
        lambda c: risk_services.episode_open(by=c.therapist, course=c, reason="Feels a burden."),
    ),
    "risk re-checked": (
        {"risk_riskassessment"},
        lambda c: (_attended(c), _phq9(c), _assessed(c, 1), _attended(c, 2)),
        lambda c: _assessed(c, 2),
    ),
    "risk closed": (
        {"risk_riskepisode"},
        lambda c: (_attended(c), _phq9(c), _assessed(c, 1)),
        lambda c: risk_services.episode_close(
            by=c.therapist, episode=RiskEpisode.objects.get(course=c), review="Reviewed."
        ),
    ),
    "note signed": (
        {"therapy_sessions_therapysession"},
        lambda c: (_attended(c), _note(c, progress_note="Note.")),
        lambda c: session_services.session_sign(by=c.therapist, session=_session(c, 1)),
    ),
    "measure recorded": ({"therapy_sessions_measure"}, _attended, _phq9),
    "formulation saved": (
        {"inventory_formulation", "inventory_problemarea"},
        None,
        _formulated,
    ),
    "person added to the inventory": (
        {"inventory_relationship"},
        lambda c: _formulated(c, "interpersonal_deficits", confirmed=True),
        _person,
    ),
    "person taken off the inventory": (
        {"inventory_relationship"},
        _deficits_and_a_death,
        lambda c: inventory_services.relationship_remove(
            by=c.therapist, relationship=c.relationships.get()
        ),
    ),
    "session focus recorded": (
        {"inventory_sessionfocus"},
        lambda c: _attended(c, 4),
        lambda c: inventory_services.session_focus_save(
            by=c.therapist, session=_session(c, 4), kind="drift"
        ),
    ),
    "flag thresholds changed": (set(), None, _thresholds),
    "risk alert acknowledged": ({"risk_riskalert"}, _alerted, _acknowledged),
    "measurement schedule changed": ({"accounts_clinic"}, None, _schedule),
    "initial task recorded in a note": (
        {"therapy_sessions_therapysession"},
        _attended,
        lambda c: _note(c, sick_role_explained=True),
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_each_service_leaves_the_facts_current(therapist, clinic_admin, change):
    _, before, act = CHANGES[change]
    # Sessions 1-5 in the past, session 4 in the middle phase.
    course = open_course(make_patient(therapist), start=today() - timedelta(weeks=5))
    if before:
        before(course)
    facts_before = stored(course)
    assert facts_before == computed(course)
    act(course)
    course.refresh_from_db()
    assert stored(course) != facts_before, "the change should change a fact"
    assert stored(course) == computed(course)


def test_a_course_has_current_facts_from_its_opening(therapist):
    course = open_course(make_patient(therapist))
    assert stored(course) == computed(course)


def test_every_table_the_facts_read_is_in_the_table_of_changes(require_postgres, course):
    """A fact read from a table no service in CHANGES writes could go stale unnoticed: a new
    fact reading a new table needs its services to call course_changed, and a row here."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fact_rows(Course.objects.filter(pk=course.pk), store.COURSE_FIELDS)
    read = set()
    for query in captured.captured_queries:
        read |= set(re.findall(r'(?:FROM|JOIN) "(\w+)"', query["sql"]))
    read -= {"patients_patient"}  # only for the clinic, whose thresholds apply
    written = set().union(*(tables for tables, _, _ in CHANGES.values()))
    assert read == written


def test_no_trigger_keeps_the_facts_any_more(require_postgres, db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'caseload_stale'")
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'caseload_%stale%'")
        assert cursor.fetchone() == (0,)


def test_a_refused_change_leaves_the_facts_as_they_were(therapist):
    course = open_course(make_patient(therapist))
    _attended(course)
    facts = stored(course)
    with pytest.raises(Exception, match="already"), transaction.atomic():
        session_services.session_record_attendance(
            by=therapist, session=_session(course, 1), attendance="attended", actual_minutes=50
        )
        raise RuntimeError("already recorded: rolled back")
    assert stored(course) == facts


def test_refresh_all_recomputes_data_written_around_the_services(therapist):
    courses = bulk_courses(therapist, 30)
    assert not CourseFacts.objects.filter(course__in=courses).exists()
    assert store.refresh_all(Course.objects.filter(pk__in=[c.pk for c in courses])) == 30
    for course in courses[:3]:
        assert stored(course) == computed(course)


def test_caseload_refresh_command(therapist):
    from django.core.management import call_command

    courses = bulk_courses(therapist, 3)
    call_command("caseload_refresh", verbosity=0)
    assert CourseFacts.objects.filter(course__in=courses).count() == 3


def test_refresh_runs_the_same_queries_for_1_and_200_courses(therapist):
    from django.test.utils import CaptureQueriesContext

    one, many = bulk_courses(therapist, 1), bulk_courses(therapist, 200, offset=1)

    def queries(courses) -> int:
        with CaptureQueriesContext(connection) as captured:
            store.refresh(c.pk for c in courses)
        return len(captured)

    assert queries(one) == queries(many)


# --- Concurrency (PostgreSQL; committed transactions in threads) ---------------------------


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


@pytest.fixture
def committed_course(require_postgres, transactional_db):
    """A committed course whose sessions 1 and 2 took place, with a PHQ-9 item 9 above 0
    at session 1 and no risk check yet."""
    from ipt_clinic.accounts.models import Clinic
    from tests.conftest import make_user

    clinic = Clinic.objects.create(name="Threads clinic")
    therapist = make_user("threads@clinic.example", clinic, is_therapist=True)
    course = open_course(make_patient(therapist))
    _attended(course, 1), _attended(course, 2)
    _phq9(course)
    assert stored(course)["risk_open"]
    return course


def test_concurrent_changes_to_one_course_are_all_in_its_facts(committed_course):
    """Session 1's note is signed while, in another tab, session 2's note raises the end of
    treatment. The second recomputes the facts only once the first has committed (the row
    lock), so it sees the signature; without the lock it would store the facts without it,
    and the course would stay flagged for a note that is signed."""
    course = committed_course
    written, release = threading.Event(), threading.Event()

    def sign_then_wait():
        # Written and refreshed without a service: a service's audit event would make the
        # second wait on the clinic's audit chain lock anyway, and hide what is tested here.
        with transaction.atomic():
            course.sessions.filter(number=1).update(
                signed_at=timezone.now(), signed_by=course.therapist
            )
            store.refresh([course.pk])
            written.set()
            assert release.wait(10)

    def raise_the_end():
        session_services.session_note_save(
            by=course.therapist, session=_session(course, 2), fields={"termination_raised": True}
        )

    first = InThread(sign_then_wait)
    assert written.wait(10)
    second = InThread(raise_the_end)
    time.sleep(0.3)  # the second waits for the first's facts row
    assert second.thread.is_alive()
    release.set()
    first.join()
    second.join()
    facts = stored(course)
    assert (facts["unsigned_count"], facts["last_raised_number"]) == (1, 2)
    assert facts == computed(course)


# --- Reading -------------------------------------------------------------------------------


def test_dashboard_reflects_a_change_at_once(client_for, supervisor, therapist):
    course = open_course(make_patient(therapist, family_name="Riskcheck"))
    _attended(course)
    _phq9(course)
    client = client_for(supervisor)
    url = reverse("supervisor_home")
    assert "Riskcheck" in client.get(url, {"flag": "risk_open"}).content.decode()
    _assessed(course, 1)
    risk_services.episode_close(
        by=therapist, episode=RiskEpisode.objects.get(course=course), review="Reviewed."
    )
    assert "Riskcheck" not in client.get(url, {"flag": "risk_open"}).content.decode()


def test_changed_thresholds_recompute_the_flags(supervisor, therapist, clinic_admin):
    course = open_course(
        make_patient(therapist), start=timezone.localdate() - timedelta(weeks=3, days=1)
    )
    _attended(course)  # three weeks ago
    assert len(caseload_for(supervisor, flag="gap").ids) == 1
    _thresholds(course)
    assert len(caseload_for(supervisor, flag="gap").ids) == 0
    assert CourseFacts.objects.get(pk=course.pk).gap_from == _session(
        course, 1
    ).scheduled_start + timedelta(days=30)


def nothing_recomputed(course_ids) -> None:
    assert list(course_ids) == [], "no recomputation expected"


def test_clock_flags_are_raised_by_time_alone(supervisor, therapist):
    """No write, no recomputation: the gap flag is raised once its instant has passed."""
    course = open_course(make_patient(therapist), start=timezone.localdate() - timedelta(days=13))
    held(course, 1)
    store.refresh([course.pk])
    last = _session(course, 1).scheduled_start
    assert len(caseload_for(supervisor, flag="gap").ids) == 0
    assert CourseFacts.objects.get(pk=course.pk).gap_from == last + timedelta(days=14)

    later = last + timedelta(days=14, minutes=1)
    with (
        mock.patch("oversight.selectors.timezone.now", return_value=later),
        mock.patch.object(store, "refresh", side_effect=nothing_recomputed),
    ):
        caseload = caseload_for(supervisor, flag="gap")
        shown = caseload.courses(caseload.ids)
    assert [c.pk for c in shown] == [course.pk] and shown[0].flag_gap
