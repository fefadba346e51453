"""People and places shared by every test: one clinic with its staff, and an outsider clinic."""

import os
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from ipt_clinic.accounts.models import Clinic, Supervision, User

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check
# would refuse ORM calls there. Tests only: never set in settings.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct horse battery staple"


def pytest_report_header(config):
    db = os.environ.get("DATABASE_URL", "")
    lines = [f"database: {'PostgreSQL' if db.startswith('postgres') else 'SQLite (fallback)'}"]
    lines.append(f"broker: {os.environ.get('CELERY_BROKER_URL') or 'none (filesystem)'}")
    return lines


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher (tests/accounts/test_security_settings.py pins it);
    # hashing a dozen test users with it per test would only slow the suite down.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # The manifest storage needs collectstatic first; tests serve from the finders instead.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def require_postgres():
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI must run on PostgreSQL; DATABASE_URL is not set")
        pytest.skip("needs PostgreSQL (the test command starts one when it is installed)")


def make_user(email, clinic, *, name=None, **roles) -> User:
    return User.objects.create_user(
        email=email,
        password=PASSWORD,
        full_name=name or email.split("@")[0].title(),
        clinic=clinic,
        **roles,
    )


@pytest.fixture
def clinic(db) -> Clinic:
    # Two-factor sign-in is off here so that tests can sign in with force_login; the
    # two-factor tests switch it on (tests/accounts/test_two_factor.py).
    return Clinic.objects.create(
        name="Test Clinic", timezone="Europe/London", require_two_factor=False
    )


@pytest.fixture
def other_clinic(db) -> Clinic:
    return Clinic.objects.create(
        name="Elsewhere Clinic", timezone="America/New_York", require_two_factor=False
    )


@pytest.fixture
def therapist(clinic) -> User:
    return make_user("tess@clinic.test", clinic, name="Tess Harper", is_therapist=True)


@pytest.fixture
def colleague(clinic) -> User:
    """Another therapist of the same clinic, with a caseload of their own."""
    return make_user("theo@clinic.test", clinic, name="Theo Okafor", is_therapist=True)


@pytest.fixture
def supervisor(clinic, therapist) -> User:
    """Supervises `therapist` (not `colleague`)."""
    user = make_user("sara@clinic.test", clinic, name="Sara Lindqvist", is_supervisor=True)
    Supervision.objects.create(
        supervisor=user,
        therapist=therapist,
        starts_on=timezone.localdate() - timedelta(days=30),
    )
    return user


@pytest.fixture
def clinic_admin(clinic) -> User:
    return make_user("adam@clinic.test", clinic, name="Adam Reyes", is_clinic_admin=True)


@pytest.fixture
def other_admin(other_clinic) -> User:
    return make_user("olga@elsewhere.test", other_clinic, is_clinic_admin=True)


@pytest.fixture
def other_therapist(other_clinic) -> User:
    return make_user("otto@elsewhere.test", other_clinic, is_therapist=True)


@pytest.fixture
def inactive_user(clinic) -> User:
    return make_user("ina@clinic.test", clinic, is_therapist=True, is_active=False)


@pytest.fixture
def operator(db) -> User:
    return User.objects.create_superuser(
        email="root@operator.test", password=PASSWORD, full_name="Operator"
    )


@pytest.fixture
def client_for():
    """client_for(user) -> a test client signed in as that user."""

    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


# --- Real parts: SMTP, the broker, a worker ------------------------------------------------


@pytest.fixture
def smtp_sink():
    from tests.workers import SmtpSink

    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def smtp_mail(settings, smtp_sink):
    """Django's default mailer sends over SMTP to the sink."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_sink.port, "timeout": 10},
        }
    }
    return smtp_sink


@pytest.fixture
def outbox():
    """What Django's in-memory test mailer received (the test default for every mailer)."""
    from django.core import mail

    mail.outbox = []
    return mail.outbox


@pytest.fixture
def redis_broker():
    """The real Redis broker the test command starts. Under CI its absence is a failure."""
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        if IN_CI:
            pytest.fail("CI=true but CELERY_BROKER_URL is not a redis:// URL")
        pytest.skip("needs a Redis broker (CELERY_BROKER_URL=redis://...; make test starts one)")
    return os.environ["CELERY_BROKER_URL"]


@pytest.fixture
def celery_worker(redis_broker, transactional_db):
    """A worker thread in this process, consuming from Redis (transactional_db: it has a
    database connection of its own, so it must see committed rows)."""
    import celery.contrib.testing.tasks  # noqa: F401 - registers the ping task start_worker needs
    from celery.contrib.testing.worker import start_worker

    from ipt_clinic.celery import app as celery_app

    celery_app.control.purge()
    # No result backend here, so no ping check: start_worker waits until the worker is ready.
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    celery_app.control.purge()
    if connection.vendor == "postgresql":
        # The worker thread's own connection outlives it (CONN_MAX_AGE): end it, or the test
        # database cannot be dropped at the end of the run.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def eager_tasks():
    """Celery tasks run at once in the test's thread when queued (pair it with
    django_capture_on_commit_callbacks(execute=True) for tasks queued after commit)."""
    from ipt_clinic.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


# --- Clinical objects --------------------------------------------------------------------------


def make_patient(therapist, *, record_number=None, **fields):
    from patients.models import Patient

    defaults = {
        "given_name": "Pat",
        "family_name": f"Example{Patient.objects.count() + 1}",
        "date_of_birth": timezone.localdate().replace(year=1985),
        "email": "pat@example.org",
        "phone": "+44 7700 900123",
        "reminder_consent": True,
        "reminder_consent_on": timezone.localdate(),
    }
    defaults.update(fields)
    number = record_number or f"R-{therapist.pk}-{Patient.objects.count() + 1}"
    patient = Patient(
        clinic=therapist.clinic, therapist=therapist, record_number=number, **defaults
    )
    patient.full_clean()
    patient.save()
    return patient


def open_course(patient, *, planned=12, start=None, baseline=None):
    """A course booked weekly from `start` (default: 3 weeks ago) at 10:00 clinic time."""
    from datetime import time

    from sessions import services

    start = start or timezone.localdate() - timedelta(days=21)
    return services.course_open(
        by=patient.therapist,
        patient=patient,
        therapist=patient.therapist,
        planned_sessions=planned,
        start_date=start,
        usual_weekday=start.weekday(),
        usual_time=time(10, 0),
        session_minutes=50,
        indication="Moderate depression",
        baseline=baseline,
    )


def miss(session, attendance="no_show"):
    """Record a session as missed (or, with attendance="cancelled", cancelled by the
    patient) through the service, as the app does."""
    from sessions import services

    return services.session_record_attendance(
        by=session.course.therapist,
        session=session,
        attendance=attendance,
        cancelled_by="patient" if attendance == "cancelled" else "",
    )


def attend(session, minutes=50):
    from sessions import services

    return services.session_record_attendance(
        by=session.course.therapist,
        session=session,
        attendance="attended",
        actual_minutes=minutes,
    )


@pytest.fixture
def patient(therapist):
    return make_patient(therapist, given_name="Alice", family_name="Archer")


@pytest.fixture
def course(patient):
    return open_course(patient)


@pytest.fixture
def first_session(course):
    return course.sessions.get(number=1)


@pytest.fixture
def colleague_patient(colleague):
    return make_patient(colleague, given_name="Cora", family_name="Colleague")


@pytest.fixture
def colleague_course(colleague_patient):
    return open_course(colleague_patient)


# --- A populated clinic, for the access matrix, the security sweep and the browser ---------


@pytest.fixture
def world(
    request,
    therapist,
    colleague,
    supervisor,
    clinic_admin,
    other_admin,
    other_therapist,
    inactive_user,
    patient,
    course,
    first_session,
):
    """Everyone, and the objects of `therapist`'s caseload that the URLs point at."""
    from inventory.models import Goal, LifeEvent, ProblemArea, Relationship
    from ipt_clinic.accounts.models import Invitation

    person = Relationship.objects.create(course=course, name="J.", relation="partner")
    area = ProblemArea.objects.create(course=course, area="role_dispute", other_party=person)
    episode = _risk_episode(therapist)
    return {
        "episode": episode,
        "alert": episode.alerts.get(recipient=supervisor),
        "failed_reminder": _failed_reminder(course),
        "invitation": Invitation.objects.create(
            clinic=clinic_admin.clinic,
            email="newcomer@clinic.test",
            full_name="Nia Newcomer",
            is_therapist=True,
            invited_by=clinic_admin,
        ),
        "patient": patient,
        "course": course,
        "session": first_session,
        "person": person,
        "event": LifeEvent.objects.create(
            course=course, occurred_on=course.start_date, description="moved house"
        ),
        "area": area,
        "goal": Goal.objects.create(problem_area=area, text="talk about chores"),
        "anonymous": None,
        "therapist": therapist,
        "colleague": colleague,
        "supervisor": supervisor,
        "clinic_admin": clinic_admin,
        "other_admin": other_admin,
        "other_therapist": other_therapist,
        "inactive_user": inactive_user,
    }


def _risk_episode(therapist):
    """An open risk episode (noted by the therapist) on a second course of `therapist`'s, with
    its alert to their supervisor."""
    from risk import services as risk_services

    course = open_course(make_patient(therapist, given_name="Risa", family_name="World"))
    return risk_services.episode_open(by=therapist, course=course, reason="Feels a burden.")


def _failed_reminder(course):
    """A reminder of the course's next session that could not be sent (a clinic admin may
    send it again)."""
    from sessions.models import Reminder

    upcoming = course.sessions.filter(scheduled_start__gt=timezone.now()).order_by("number")
    reminder = Reminder.objects.filter(session=upcoming.first()).order_by("send_at").first()
    reminder.state, reminder.reason = Reminder.State.FAILED, "The mail server refused it."
    reminder.save(update_fields=["state", "reason"])
    return reminder


@pytest.fixture
def rich_world(world, therapist):
    """The access-matrix world plus a course well under way: held, signed, measured, with
    risk open since session 1 (item 9 at 1) and re-checked at every session."""
    from inventory import services as inventory_services
    from inventory.models import Goal, LifeEvent, ProblemArea, Relationship
    from risk import services as risk_services
    from risk.models import RiskEpisode
    from sessions import services
    from tests.risk.test_pathway import ASSESSED

    course = open_course(
        make_patient(therapist, given_name="Rich", family_name="World"),
        start=timezone.localdate() - timedelta(weeks=6),
    )
    person = Relationship.objects.create(course=course, name="Sam", relation="husband")
    area = ProblemArea.objects.create(course=course, area="role_dispute", other_party=person)
    actor = therapist
    for number in (1, 2, 3, 4, 5):
        session = course.sessions.get(number=number)
        attend(session)
        services.measure_record(
            by=actor,
            session=session,
            kind="phq9",
            answers={f"item_{n}": 1 for n in range(1, 10)},
        )
        services.session_note_save(
            by=actor,
            session=session,
            fields={"progress_note": f"Progress {number}", "risk_check_note": "Checked."},
        )
        services.private_note_save(by=actor, session=session, text="PRIVATE-CANARY")
        episode = RiskEpisode.objects.get(course=course)
        risk_services.assessment_record(by=actor, episode=episode, session=session, fields=ASSESSED)
        if number == 4:  # middle phase: what it worked on, before signing
            inventory_services.session_focus_save(
                by=actor, session=session, kind="area", problem_area=area
            )
        if number < 5:
            services.session_sign(by=actor, session=session)
    LifeEvent.objects.create(course=course, occurred_on=course.start_date, description="Row")
    Goal.objects.create(problem_area=area, text="talk")
    world["rich_course"] = course
    world["rich_episode"] = episode
    return world


@pytest.fixture
def queries_for():
    """queries_for(client, url) -> how many SQL queries one GET of `url` runs (after a warm-up
    GET). Query-count tests compare two sizes of data with it, so that the pin holds on
    SQLite and PostgreSQL alike (PostgreSQL takes one more query for the audit-chain lock)."""
    from django.test.utils import CaptureQueriesContext

    def count(client, url, **params) -> int:
        client.get(url, params)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured)

    return count


def version_in(response) -> str:
    """The version an edit page's form was based on (its hidden based_on field)."""
    import re

    match = re.search(r'name="based_on" value="([^"]*)"', response.content.decode())
    assert match, "the form carries no version"
    return match.group(1)
