"""A large, lived-in clinic in seconds, for load tests and the benchmark (`seed_demo --scale N`).

At N = 1: 50 therapists (one in six also supervises about five of the others), 2,000 IPT
courses in every phase and status and about 28,000 sessions, with item-level PHQ-9 and GAD-7
answers, interpersonal inventories and timelines, formulations, problem areas with goals,
session focus, termination reviews, and some supervision (notes, reviews, fidelity ratings).
N multiplies the counts; a float is fine (0.02 is a small clinic for tests).

Everything is written with bulk_create, not through the services: the services audit and plan
reminders row by row, which would take minutes. The values are computed here instead, by the
rules the services and models enforce (one open course per patient, a risk check on every
signed note whose PHQ-9 item 9 is above 0, a deceased person for grief, the other party for a
role dispute, a termination review for a completed course...); tests/demo/test_scale.py
checks them. Nothing is written to the audit trail (nothing happened through the application)
and no reminders are planned (these patients have not consented to any).

The caseload flags fire where the data makes them true, at rates a clinic might see: some
therapists are slow to sign, some patients miss sessions, some courses drift or never agree a
focus. Deterministic: the same seed on the same day gives the same clinic (dates are laid out
relative to today).
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from demo.answers import gad7_answers, phq9_answers
from inventory.models import (
    Area,
    DisputeStageChange,
    Formulation,
    Goal,
    LifeEvent,
    ProblemArea,
    Relationship,
    SessionFocus,
    TerminationReview,
)
from ipt_clinic.accounts.models import Clinic, Supervision, User
from oversight import store
from oversight.models import (
    FIDELITY_CHECKLIST,
    CourseReview,
    FidelityRating,
    NoteReview,
    SupervisionNote,
)
from patients.models import Patient
from sessions.models import Course, CourseContractChange, Measure, Technique, TherapySession
from sessions.phases import Phase, phase_for, should_raise_termination
from sessions.scheduling import first_weekday_on_or_after

DEFAULT_SEED = 2026
MAX_SCALE = 20.0  # 1,000 therapists and 40,000 courses: a typo guard, not a limit of the code
BATCH = 2000

Attendance = TherapySession.Attendance
Status = Course.Status

# Share of courses of each kind (they add up to 100). "stalled" and "overdue" are open courses
# that went wrong: the last sessions were cancelled, or the contract ran out without an end.
KIND_WEIGHTS = {
    "planned": 4,
    "active": 50,
    "stalled": 3,
    "overdue": 3,
    "completed": 30,
    "ended_early": 10,
}
OPEN_KINDS = {"planned", "active", "stalled", "overdue"}
AREA_WEIGHTS = {
    Area.ROLE_DISPUTE: 34,
    Area.ROLE_TRANSITION: 30,
    Area.GRIEF: 21,
    Area.INTERPERSONAL_DEFICITS: 15,
}


@dataclass(frozen=True)
class ScaleSize:
    therapists: int
    supervisors: int
    courses: int


def scale_size(scale: float) -> ScaleSize:
    """How many therapists, supervisors (among them) and courses N makes."""
    if not 0 < scale <= MAX_SCALE:
        raise ValueError(f"the scale must be above 0 and at most {MAX_SCALE:g}, not {scale:g}")
    therapists = max(4, round(50 * scale))
    return ScaleSize(
        therapists=therapists,
        supervisors=max(1, round(therapists / 6)),
        courses=max(20, round(2000 * scale)),
    )


def clinic_name(scale: float) -> str:
    return f"Scale Clinic {scale:g}"


def email_domain(scale: float) -> str:
    """scale.example for N = 1, scale-0-02.example for N = 0.02: several scales can coexist."""
    return "scale.example" if scale == 1 else f"scale-{scale:g}.example".replace(".", "-", 1)


def therapist_email(scale: float, number: int) -> str:
    return f"scale-therapist-{number:03d}@{email_domain(scale)}"


class ScaleClinicExists(Exception):
    pass


@dataclass
class ScaleReport:
    scale: float
    clinic: Clinic
    counts: dict[str, int]
    supervisors: list[User]
    admin: User
    seconds: float

    def summary(self) -> str:
        counts, scale = self.counts, self.scale
        return (
            f"{self.clinic.name} ready in {self.seconds:.1f} s: {counts['staff'] - 1} "
            f"therapists, {counts['courses']:,} courses, {counts['sessions']:,} sessions, "
            f"{counts['measures']:,} measures. Sign in as {therapist_email(scale, 1)} (a "
            f"supervisor), {therapist_email(scale, len(self.supervisors) + 1)} (a therapist) "
            f"or {self.admin.email} (the clinic admin)."
        )


# --- Words ------------------------------------------------------------------------------------

GIVEN = (  # noqa: SIM905 - names read better as words
    "Aisha Ben Chloe Daniel Ella Farid Grace Hassan Isla Jack Kemi Liam Maya Noah Olivia "
    "Pavel Rosa Rhys Sofia Tariq Una Victor Wen Xander Yasmin Zac Amira Bilal Carys Dev "
    "Erin Femi Gemma Harvey Ines Jonah Keira Luca Mei Niamh Oscar Priti Ruth Samir Tilly "
    "Umar Vera Will"
).split()
FAMILY = (  # noqa: SIM905 - names read better as words
    "Adams Bello Chen Dimitrov Evans Fischer Garcia Hughes Iqbal Jones Kaur Lewis Mensah "
    "Novak Obi Patel Quinn Rossi Singh Taylor Usman Vance Walsh Xu Young Zielinski Ahmed "
    "Brooks Clarke Doyle Ellis Ferreira Green Hale Ito Jensen Khan Lopez Murphy Nakamura "
    "Owens Price Reid Shah"
).split()
RELATIONS = {
    # relation -> (ring, contact)
    "partner": (1, "daily"),
    "mother": (1, "weekly"),
    "father": (1, "weekly"),
    "sister": (1, "weekly"),
    "brother": (2, "monthly"),
    "daughter": (1, "daily"),
    "son": (1, "daily"),
    "best friend": (2, "weekly"),
    "friend from school": (2, "monthly"),
    "manager": (3, "daily"),
    "colleague": (3, "daily"),
    "neighbour": (3, "weekly"),
    "grandmother": (2, "monthly"),
    "aunt": (3, "rarely"),
    "flatmate": (2, "daily"),
}
DECEASED_RELATIONS = ["mother", "father", "partner", "brother", "sister", "best friend"]
DISPUTE_RELATIONS = ["partner", "mother", "father", "sister", "manager", "flatmate"]
SATISFYING = [
    "Easy company; they laugh together.",
    "Dependable in a crisis.",
    "Someone to talk to about anything.",
    "Shared history; knows the patient well.",
    "Practical help with the children.",
]
UNSATISFYING = [
    "Arguments about money and plans.",
    "Feels criticised and not listened to.",
    "Contact has dropped since the low mood began.",
    "Expects more than the patient can give at the moment.",
    "Avoids talking about anything difficult.",
]
WISHED = [
    "To talk without it ending in a row.",
    "To see them more often.",
    "To say no without feeling guilty.",
    "To be honest about how low things have been.",
]
TRANSITIONS = [
    ("employed, a team leader", "made redundant, looking for work", "the redundancy"),
    ("a working teacher", "retired", "retirement"),
    ("living near family in the north", "living alone in a new city", "the move"),
    ("married", "separated, living apart", "the separation"),
    ("a student", "a junior doctor on night shifts", "starting work"),
    ("working full time", "a new parent at home", "the birth of their first child"),
    ("well and active", "living with a long-term illness", "the diagnosis"),
]
INDICATIONS = {
    Area.GRIEF: "Major depressive episode since the death of {person}; withdrawn, cannot face "
    "reminders of them.",
    Area.ROLE_DISPUTE: "Major depressive episode over the past months, alongside escalating "
    "conflict with {person}.",
    Area.ROLE_TRANSITION: "Major depressive episode since {event}; struggling with the new role.",
    Area.INTERPERSONAL_DEFICITS: "Recurrent depression with long-standing isolation and few "
    "close relationships.",
}
GOALS = {
    Area.GRIEF: [
        "Talk about the death and the relationship, good and bad",
        "Visit the grave or a place that matters",
        "Reconnect with friends who knew them",
        "Take up one activity given up after the death",
    ],
    Area.ROLE_DISPUTE: [
        "Understand what each expects of the other",
        "Raise a disagreement without it ending in a row",
        "Agree a plan for the main issue",
        "Decide whether the relationship can change",
    ],
    Area.ROLE_TRANSITION: [
        "Mourn what was lost with the old role",
        "Find what is good in the new role",
        "Build one new relationship in the new setting",
        "Learn the skills the new role asks for",
    ],
    Area.INTERPERSONAL_DEFICITS: [
        "Revive contact with one old friend",
        "Join a group that meets weekly",
        "Practise starting conversations",
        "Use the therapy relationship to try new ways of relating",
    ],
}
PROGRESS = {
    Phase.INITIAL: [
        "Assessment continued; PHQ-9 {phq9}. Diagnosis and sick role discussed.",
        "Inventory under way; PHQ-9 {phq9}. Patient engaged and keen to work.",
        "Formulation discussed and agreed; PHQ-9 {phq9}. Middle phase next.",
    ],
    Phase.MIDDLE: [
        "Worked on the focus; PHQ-9 {phq9}. Linked mood to the week's events.",
        "Communication analysis of a difficult conversation; PHQ-9 {phq9}.",
        "Role play of the next conversation; PHQ-9 {phq9}. Homework agreed.",
        "Reviewed progress on the goals; PHQ-9 {phq9}.",
    ],
    Phase.TERMINATION: [
        "Ending discussed; gains reviewed; PHQ-9 {phq9}.",
        "Relapse plan drafted together; PHQ-9 {phq9}.",
        "Final session: gains credited to the patient; PHQ-9 {phq9}.",
    ],
}
CANCEL_REASONS = {
    TherapySession.CancelledBy.PATIENT: ["Unwell", "Childcare fell through", "Away for work"],
    TherapySession.CancelledBy.THERAPIST: ["Therapist on leave", "Therapist unwell"],
    TherapySession.CancelledBy.CLINIC: ["Room unavailable", "Clinic closed for training"],
}
END_REASONS = [
    "Moved out of the area.",
    "Stopped attending and did not reply to letters.",
    "Chose to continue with medication only.",
    "Admitted to hospital; referred to the crisis team.",
    "Felt well enough to stop after discussing it with the therapist.",
]
SUPERVISION_NOTES = [
    "Good work on the focus. Consider communication analysis of the last row next session.",
    "PHQ-9 has barely moved: review the formulation together at our next meeting.",
    "Bring this course to supervision: the attendance pattern worries me.",
    "Please raise the ending now; the patient will need time to prepare for it.",
    "Lovely use of role play. Keep the sessions on the chosen area.",
]
REVISION_COMMENTS = [
    "Link the mood to the events of the week in the note.",
    "The note does not say which goal the session worked on.",
]


# --- The plan of one course -------------------------------------------------------------------


@dataclass
class _Plan:
    """What one course is like; the rows are derived from it."""

    index: int
    kind: str
    therapist: User
    supervisor: User | None
    planned: int
    weekday: int
    at: time
    first_day: date
    area: str
    secondary: str | None
    phq9_baseline: int
    gad7_baseline: int
    end_share: float  # PHQ-9 at the end of the course as a share of the baseline
    no_show_rate: float
    sign_rate: float  # signed within 48 hours: most therapists sign nearly every note
    risky: bool  # PHQ-9 item 9 above 0 at times
    raises_termination: bool
    drift_rate: float
    unfocused: bool  # never agreed a problem area
    draft_formulation: bool  # a formulation written but not yet agreed with the patient
    deficits_questioned: bool
    held_through: int = 0  # for ended_early: the last session before the course ended
    course: Course | None = None
    formulation: Formulation | None = None
    agreed_at: TherapySession | None = None  # the session whose note records the formulation
    patient: Patient | None = None
    sessions: list[TherapySession] = field(default_factory=list)
    people: dict[str, Relationship] = field(default_factory=dict)
    events: list[LifeEvent] = field(default_factory=list)
    areas: list[ProblemArea] = field(default_factory=list)
    goals: dict[int, list[Goal]] = field(default_factory=dict)  # by rank

    @property
    def is_open(self) -> bool:
        return self.kind in OPEN_KINDS

    @property
    def happened(self) -> list[TherapySession]:
        return [s for s in self.sessions if s.attendance in (Attendance.ATTENDED, "no_show")]

    @property
    def attended(self) -> list[TherapySession]:
        return [s for s in self.sessions if s.attendance == Attendance.ATTENDED]


class _Generator:
    def __init__(self, *, scale: float, seed: int, password: str, log: Callable[[str], None]):
        self.scale = scale
        self.size = scale_size(scale)
        self.rng = random.Random(f"{seed}-{scale:g}")  # noqa: S311 - demo data, not secrets
        self.password = password
        self.log = log
        self.now = timezone.now()
        self.counts: dict[str, int] = {}

    # The clinic, its staff and their supervision -------------------------------------------

    def run(self) -> ScaleReport:
        started = monotonic()
        name = clinic_name(self.scale)
        if Clinic.objects.filter(name=name).exists():
            raise ScaleClinicExists(name)
        self.clinic = Clinic.objects.create(
            name=name,
            timezone="Europe/London",
            # Like Demo Clinic: a newcomer (and the benchmark) can sign in without an app.
            require_two_factor=False,
            contact_phone="020 7946 0000",
            contact_email=f"reception@{email_domain(self.scale)}",
        )
        self.zone = self.clinic.zone
        self.today = timezone.localtime(self.now, self.zone).date()
        self._staff()
        plans = [self._plan(index) for index in range(self.size.courses)]
        self._courses(plans)
        self._notes_and_measures(plans)
        self._inventories(plans)
        self._focus(plans)
        self._reviews(plans)
        self._supervision(plans)
        # Written around the services: the caseload facts are computed once, at the end.
        store.refresh_all(Course.objects.filter(patient__clinic=self.clinic))
        return ScaleReport(
            scale=self.scale,
            clinic=self.clinic,
            counts=self.counts,
            supervisors=self.supervisors,
            admin=self.admin,
            seconds=monotonic() - started,
        )

    def _bulk(self, model, rows: list, label: str | None = None) -> list:
        created = model.objects.bulk_create(rows, batch_size=BATCH)
        key = label or str(model._meta.verbose_name_plural)
        self.counts[key] = self.counts.get(key, 0) + len(created)
        self.log(f"{len(created):>7,} {key}")
        return created

    def _person_name(self, number: int) -> str:
        return f"{GIVEN[number % len(GIVEN)]} {FAMILY[(number * 7 + 3) % len(FAMILY)]}"

    def _staff(self) -> None:
        # One hash for everyone: Argon2 per account would cost a second per ten accounts.
        password = make_password(self.password)
        size = self.size
        therapists = [
            User(
                email=therapist_email(self.scale, number),
                full_name=self._person_name(number),
                clinic=self.clinic,
                is_therapist=True,
                is_supervisor=number <= size.supervisors,
                password=password,
                date_joined=self.now - timedelta(days=400 + number),
            )
            for number in range(1, size.therapists + 1)
        ]
        self.admin = User(
            email=f"scale-admin@{email_domain(self.scale)}",
            full_name="Scale Admin",
            clinic=self.clinic,
            is_clinic_admin=True,
            password=password,
        )
        self.therapists = self._bulk(User, [*therapists, self.admin], "staff")[:-1]
        self.supervisors = self.therapists[: size.supervisors]
        others = self.therapists[size.supervisors :]
        # Round robin: every supervisor gets supervisees; each supervisor is supervised by the
        # next one (when there are several). Some therapists changed supervisor last year.
        self.supervisor_of: dict[int, User] = {}
        for position, therapist in enumerate(others):
            self.supervisor_of[therapist.pk] = self.supervisors[position % size.supervisors]
        if size.supervisors > 1:
            for position, supervisor in enumerate(self.supervisors):
                following = self.supervisors[(position + 1) % size.supervisors]
                self.supervisor_of[supervisor.pk] = following
        links = []
        for therapist in self.therapists:
            supervisor = self.supervisor_of.get(therapist.pk)
            if supervisor is None:
                continue
            starts_on = self.today - timedelta(days=self.rng.randint(30, 360))
            links.append(
                Supervision(supervisor=supervisor, therapist=therapist, starts_on=starts_on)
            )
            earlier = [s for s in self.supervisors if s.pk not in (supervisor.pk, therapist.pk)]
            if earlier and self.rng.random() < 0.2:
                links.append(
                    Supervision(
                        supervisor=self.rng.choice(earlier),
                        therapist=therapist,
                        starts_on=starts_on - timedelta(days=self.rng.randint(200, 500)),
                        ends_on=starts_on - timedelta(days=1),
                    )
                )
        self._bulk(Supervision, links, "supervision links")
        # Supervisors carry half a caseload.
        self.caseload_slots = [
            t for t in self.therapists for _ in range(1 if t.is_supervisor else 2)
        ]

    # Plans -------------------------------------------------------------------------------

    def _plan(self, index: int) -> _Plan:
        rng = self.rng
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        therapist = self.caseload_slots[index % len(self.caseload_slots)]
        planned = rng.choice([12, 12, 13, 14, 14, 15, 16, 16, 16])
        weekday = rng.randint(0, 4)
        area = rng.choices(list(AREA_WEIGHTS), weights=list(AREA_WEIGHTS.values()))[0]
        secondary = None
        if area != Area.INTERPERSONAL_DEFICITS and rng.random() < 0.18:
            secondary = rng.choice(
                [a for a in AREA_WEIGHTS if a not in (area, Area.INTERPERSONAL_DEFICITS)]
            )
        response = rng.random()
        end_share = (
            rng.uniform(0.15, 0.5)
            if response < 0.55
            else rng.uniform(0.55, 0.8)
            if response < 0.85
            else rng.uniform(0.85, 1.1)
        )
        plan = _Plan(
            index=index,
            kind=kind,
            therapist=therapist,
            supervisor=self.supervisor_of.get(therapist.pk),
            planned=planned,
            weekday=weekday,
            at=time(rng.randint(9, 17), rng.choice([0, 30])),
            first_day=self.today,
            area=area,
            secondary=secondary,
            phq9_baseline=min(24, max(8, round(rng.gauss(16, 4)))),
            gad7_baseline=min(20, max(4, round(rng.gauss(11, 4)))),
            end_share=end_share,
            no_show_rate=0.25 if rng.random() < 0.1 else 0.04,
            sign_rate=0.75 if rng.random() < 0.08 else 0.995,
            risky=rng.random() < 0.08,
            raises_termination=rng.random() < 0.88,
            drift_rate=0.35 if rng.random() < 0.12 else 0.03,
            unfocused=kind in OPEN_KINDS and rng.random() < 0.06,
            draft_formulation=kind in OPEN_KINDS and rng.random() < 0.04,
            deficits_questioned=area == Area.INTERPERSONAL_DEFICITS and rng.random() < 0.2,
        )
        plan.first_day = self._first_day(plan)
        return plan

    def _first_day(self, plan: _Plan) -> date:
        """Lay the weekly sessions out so that the course sits where its kind says."""
        rng, today, week = self.rng, self.today, timedelta(weeks=1)
        if plan.kind == "planned":
            return first_weekday_on_or_after(
                today + timedelta(days=rng.randint(1, 21)), plan.weekday
            )
        if plan.kind in ("active", "stalled"):
            low = 5 if plan.kind == "stalled" else 1
            held = rng.randint(low, plan.planned - 1)
            upcoming = first_weekday_on_or_after(today + timedelta(days=1), plan.weekday)
            return upcoming - held * week
        if plan.kind == "overdue":
            last = today - timedelta(days=rng.randint(10, 60))
            return first_weekday_on_or_after(last, plan.weekday) - (plan.planned - 1) * week
        if plan.kind == "completed":
            last = today - timedelta(days=rng.randint(10, 720))
            return first_weekday_on_or_after(last, plan.weekday) - (plan.planned - 1) * week
        # ended_early: a few sessions, then the course stopped, up to a year and a half ago.
        plan.held_through = rng.randint(2, 8)
        stopped = today - timedelta(days=rng.randint(3, 540))
        return first_weekday_on_or_after(stopped, plan.weekday) - plan.held_through * week

    def _start(self, plan: _Plan, number: int) -> datetime:
        day = plan.first_day + timedelta(weeks=number - 1)
        return datetime.combine(day, plan.at, tzinfo=self.zone)

    def _local_day(self, moment: datetime) -> date:
        return timezone.localtime(moment, self.zone).date()

    # Patients and courses -----------------------------------------------------------------

    def _courses(self, plans: list[_Plan]) -> None:
        rng = self.rng
        patients = []
        for plan in plans:
            given = rng.choice(GIVEN)
            family = rng.choice(FAMILY)
            plan.patient = Patient(
                clinic=self.clinic,
                therapist=plan.therapist,
                record_number=f"SC-{plan.index + 1:06d}",
                given_name=given,
                family_name=family,
                date_of_birth=date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)),
                email=f"{given}.{family}.{plan.index + 1}@example.org".lower(),
                preferred_channel=Patient.Channel.EMAIL,
                status=Patient.Status.ACTIVE if plan.is_open else Patient.Status.DISCHARGED,
                created_at=datetime.combine(plan.first_day, time(9), tzinfo=self.zone)
                - timedelta(days=14),
            )
            patients.append(plan.patient)
        self._bulk(Patient, patients)
        courses = []
        for plan in plans:
            start_date = plan.first_day - timedelta(days=rng.randint(0, 6))
            plan.course = Course(
                patient=plan.patient,
                therapist=plan.therapist,
                planned_sessions=plan.planned,
                start_date=start_date,
                usual_weekday=plan.weekday,
                usual_time=plan.at,
                session_minutes=50,
                indication=self._indication(plan),
                status=Status.PLANNED,  # settled once the sessions are laid out
                created_at=datetime.combine(start_date, time(9), tzinfo=self.zone)
                - timedelta(days=7),
            )
            courses.append(plan.course)
        # Statuses and end dates depend on the sessions: compute those first, insert after.
        self._lay_out_sessions(plans)
        self._bulk(Course, courses)
        changes = [
            CourseContractChange(
                course=plan.course,
                changed_on=self._local_day(plan.sessions[5].scheduled_start),
                old_planned=12,
                new_planned=plan.planned,
                reason="Slow start after two missed weeks; more time agreed for the middle phase.",
                agreed_with_patient=True,
                changed_by=plan.therapist,
            )
            for plan in plans
            if plan.planned > 12
            and len(plan.happened) >= 6
            and plan.index % 8 == 0  # a few of the longer courses were renegotiated
        ]
        self._bulk(CourseContractChange, changes, "contract changes")

    def _indication(self, plan: _Plan) -> str:
        transition = TRANSITIONS[plan.index % len(TRANSITIONS)]
        person = {
            Area.GRIEF: "their " + DECEASED_RELATIONS[plan.index % len(DECEASED_RELATIONS)],
            Area.ROLE_DISPUTE: "their " + DISPUTE_RELATIONS[plan.index % len(DISPUTE_RELATIONS)],
        }.get(plan.area, "")
        return INDICATIONS[plan.area].format(person=person, event=transition[2])

    # Sessions ---------------------------------------------------------------------------

    def _lay_out_sessions(self, plans: list[_Plan]) -> None:
        for plan in plans:
            plan.sessions = [
                TherapySession(
                    course=plan.course,
                    number=number,
                    scheduled_start=self._start(plan, number),
                    planned_minutes=50,
                )
                for number in range(1, plan.planned + 1)
            ]
            self._attendance(plan)
            self._status(plan)

    def _attendance(self, plan: _Plan) -> None:
        rng, now = self.rng, self.now
        past = [s for s in plan.sessions if s.scheduled_start < now]
        for session in past:
            if plan.kind == "ended_early" and session.number > plan.held_through:
                break
            roll = rng.random()
            if session.number == 1 or roll >= plan.no_show_rate + 0.06:
                session.attendance = Attendance.ATTENDED
                session.actual_minutes = session.planned_minutes + rng.randint(-5, 5)
            elif roll < plan.no_show_rate:
                session.attendance = Attendance.NO_SHOW
            else:
                self._cancel(session, rng.choice(list(CANCEL_REASONS)))
        if plan.kind == "stalled":
            for session in past[-3:]:  # three cancellations in a row: no session for weeks
                self._cancel(session, TherapySession.CancelledBy.PATIENT)
        if plan.kind == "completed":
            last = plan.sessions[-1]  # completion needs a termination-phase session held
            last.attendance = Attendance.ATTENDED
            last.actual_minutes = last.planned_minutes
            last.cancelled_by = last.cancellation_reason = ""
        recent = past and now - past[-1].scheduled_start < timedelta(hours=36)
        if plan.kind == "active" and recent and past[-1].number > 1 and rng.random() < 0.35:
            self._reset(past[-1])  # not recorded yet
        if plan.kind == "ended_early":
            for session in plan.sessions[plan.held_through :]:
                self._reset(session)
                session.attendance = Attendance.CANCELLED
                session.cancelled_by = TherapySession.CancelledBy.CLINIC
                session.cancellation_reason = "course ended early"

    def _cancel(self, session: TherapySession, by: str) -> None:
        self._reset(session)
        session.attendance = Attendance.CANCELLED
        session.cancelled_by = by
        session.cancellation_reason = self.rng.choice(CANCEL_REASONS[by])

    @staticmethod
    def _reset(session: TherapySession) -> None:
        session.attendance = Attendance.SCHEDULED
        session.actual_minutes = None
        session.cancelled_by = session.cancellation_reason = ""

    def _status(self, plan: _Plan) -> None:
        course = plan.course
        if plan.is_open:
            # As the services do it: a course becomes active at its first attended session.
            course.status = Status.ACTIVE if plan.attended else Status.PLANNED
        elif plan.kind == "completed":
            last_day = self._local_day(plan.sessions[-1].scheduled_start)
            course.status = Status.COMPLETED
            course.ended_on = min(self.today, last_day + timedelta(days=self.rng.randint(0, 7)))
        else:
            stopped = self._local_day(plan.sessions[plan.held_through - 1].scheduled_start)
            course.status = Status.ENDED_EARLY
            course.ended_on = min(self.today, stopped + timedelta(days=self.rng.randint(1, 14)))
            course.end_reason = self.rng.choice(END_REASONS)

    def _trajectory(self, plan: _Plan) -> dict[int, int]:
        """PHQ-9 total at each attended session (0 = the baseline at the assessment)."""
        totals = {0: plan.phq9_baseline}
        for session in plan.attended:
            progress = min(1.0, session.number / plan.planned) ** 0.9
            expected = plan.phq9_baseline * (1 - (1 - plan.end_share) * progress)
            totals[session.number] = min(26, max(0, round(expected + self.rng.gauss(0, 1.5))))
        return totals

    def _note(self, plan: _Plan, session: TherapySession, phq9: int | None) -> None:
        rng = self.rng
        phase = phase_for(session.number, plan.planned)
        shown = "not taken" if phq9 is None else str(phq9)
        if phase == Phase.INITIAL:
            session.symptom_review = f"PHQ-9 {shown}. Low mood, poor sleep, withdrawn."
            session.diagnosis_given = session.sick_role_explained = True
            session.contract_agreed = session.number == 1
            if session.number == 1:
                session.medication_considered = "Discussed; prefers therapy first. GP aware."
            session.inventory_progress = "Inventory: the important people and what has changed."
            if session.number == 3:
                session.formulation_notes = "Formulation presented; the patient recognised it."
        elif phase == Phase.MIDDLE:
            session.since_last_met = "A mixed week; one difficult conversation."
            session.mood_and_events = "Mood lower after the argument, better after seeing friends."
            session.problem_area_work = "Worked on the chosen area and the current goal."
            session.techniques = rng.sample(Technique.values, rng.randint(1, 3))
        else:
            session.gains_reviewed = "Patient named what has changed and what they did."
            session.feelings_about_ending = "Sad and a little anxious about ending; normalised."
            session.warning_signs = "Early waking, withdrawing from friends."
            session.relapse_plan = "Call the GP; use the plan written together."
        if plan.raises_termination and should_raise_termination(session.number, plan.planned):
            session.termination_raised = True
        session.homework = "Notice mood after contacts with the people in the inventory."
        session.progress_note = rng.choice(PROGRESS[phase]).format(phq9=shown)
        session.held_by = session.note_author = plan.therapist

    def _sign(self, plan: _Plan, session: TherapySession, blocked: bool) -> None:
        """Most notes are signed within a day; a risk check missing blocks the signature."""
        age = self.now - session.scheduled_start
        rate = plan.sign_rate if age > timedelta(hours=48) else 0.5
        if blocked or self.rng.random() >= rate:
            return
        signed_at = session.scheduled_start + timedelta(hours=self.rng.randint(1, 30))
        session.signed_at = min(signed_at, self.now)
        session.signed_by = plan.therapist

    # Measures ----------------------------------------------------------------------------

    def _notes_and_measures(self, plans: list[_Plan]) -> None:
        """The measures, then the notes (a risk check depends on PHQ-9 item 9) and the
        signatures (none without the risk check it needs); the sessions go in after."""
        rng = self.rng
        measures = []
        for plan in plans:
            totals = self._trajectory(plan)
            course = plan.course
            baseline_day = course.start_date
            measures.append(
                Measure(
                    course=course,
                    kind=Measure.Kind.PHQ9,
                    administered_on=baseline_day,
                    recorded_by=plan.therapist,
                    **phq9_answers(plan.phq9_baseline, self._item_9(plan, plan.phq9_baseline), rng),
                )
            )
            measures.append(
                Measure(
                    course=course,
                    kind=Measure.Kind.GAD7,
                    administered_on=baseline_day,
                    recorded_by=plan.therapist,
                    **gad7_answers(plan.gad7_baseline, rng),
                )
            )
            last_attended = plan.attended[-1].number if plan.attended else 0
            for session in plan.attended:
                day = self._local_day(session.scheduled_start)
                # Nearly every session starts with a PHQ-9; one now and then is skipped.
                phq9 = (
                    totals[session.number] if session.number == 1 or rng.random() < 0.93 else None
                )
                blocked = False
                if phq9 is not None:
                    item_9 = self._item_9(plan, phq9)
                    if item_9:
                        checked = rng.random() < 0.85
                        if checked:
                            session.risk_check_note = (
                                f"PHQ-9 item 9 scored {item_9}. Passive thoughts, no plan or "
                                "intent; protective factors reviewed; safety plan updated."
                            )
                        blocked = not checked
                    measures.append(
                        Measure(
                            course=course,
                            session=session,
                            kind=Measure.Kind.PHQ9,
                            administered_on=day,
                            recorded_by=plan.therapist,
                            **phq9_answers(phq9, item_9, rng),
                        )
                    )
                if session.number in (1, 4, 8, 12, 16) or (
                    plan.kind == "completed" and session.number == last_attended
                ):
                    share = 1 - (1 - plan.end_share) * (session.number / plan.planned)
                    gad7 = round(plan.gad7_baseline * share + rng.gauss(0, 1.5))
                    measures.append(
                        Measure(
                            course=course,
                            session=session,
                            kind=Measure.Kind.GAD7,
                            administered_on=day,
                            recorded_by=plan.therapist,
                            **gad7_answers(min(21, max(0, gad7)), rng),
                        )
                    )
                self._note(plan, session, phq9)
                self._sign(plan, session, blocked)
        self._bulk(TherapySession, [s for plan in plans for s in plan.sessions], "sessions")
        self._bulk(Measure, measures)

    def _item_9(self, plan: _Plan, total: int) -> int:
        if total < 10:
            return 0
        roll = self.rng.random()
        if plan.risky:
            return 2 if roll < 0.08 else 1 if roll < 0.45 else 0
        return 1 if roll < 0.005 else 0

    # Inventory, timeline, formulation, problem areas, goals ---------------------------------

    def _inventories(self, plans: list[_Plan]) -> None:
        rng = self.rng
        people = []
        for plan in plans:
            if not plan.attended:
                continue  # the inventory starts at the first session
            noted = plan.attended[0].scheduled_start
            for key, relation, deceased, changed in self._relations(plan):
                ring, contact = RELATIONS[relation]
                person = Relationship(
                    course=plan.course,
                    name=rng.choice(GIVEN),
                    relation=relation,
                    ring=1 if key in ("grief", "dispute") else ring,
                    contact="none" if deceased else contact,
                    satisfying=rng.choice(SATISFYING),
                    unsatisfying=rng.choice(UNSATISFYING),
                    expectations_met="no" if key == "dispute" else rng.choice(["yes", "partly"]),
                    wished_change="" if deceased else rng.choice(WISHED),
                    changed_around_onset=changed,
                    deceased=deceased,
                    created_at=noted,
                )
                plan.people[key] = person
                people.append(person)
        self._bulk(Relationship, people, "inventory people")

        events = []
        for plan in plans:
            if not plan.people:
                continue
            start = plan.course.start_date
            onset = start - timedelta(days=rng.randint(60, 240))
            timeline = [
                (onset - timedelta(days=rng.randint(20, 90)), self._trigger(plan), "worse", True),
                (onset, "Low mood most days; sleep and appetite worse", "worse", False),
                (
                    start - timedelta(days=rng.randint(7, 40)),
                    "Saw the GP; referred for IPT",
                    "none",
                    False,
                ),
            ]
            last = self._local_day(plan.happened[-1].scheduled_start) if plan.happened else start
            if last > start + timedelta(days=14):
                middle = start + timedelta(days=rng.randint(7, (last - start).days))
                timeline.append((middle, "A good weekend with friends", "better", False))
            for occurred_on, description, mood, linked in timeline:
                person = plan.people.get(self._key_person(plan)) if linked else None
                kind = LifeEvent.Kind.SYMPTOMS if "Low mood" in description else "event"
                event = LifeEvent(
                    course=plan.course,
                    occurred_on=min(occurred_on, self.today),
                    kind=kind,
                    description=description,
                    mood_effect=mood,
                    relationship=person,
                )
                plan.events.append(event)
                events.append(event)
        self._bulk(LifeEvent, events, "life events")
        self._formulations(plans)

    def _relations(self, plan: _Plan) -> list[tuple[str, str, bool, bool]]:
        """(key, relation, deceased, changed around the onset) of each person in the
        inventory, the people at the centre of the problem areas first."""
        rng = self.rng
        chosen: list[tuple[str, str, bool, bool]] = []
        for area in filter(None, (plan.area, plan.secondary)):
            if area == Area.GRIEF:
                chosen.append(("grief", rng.choice(DECEASED_RELATIONS), True, True))
            elif area == Area.ROLE_DISPUTE:
                taken = {relation for _, relation, _, _ in chosen}
                options = [r for r in DISPUTE_RELATIONS if r not in taken]
                chosen.append(("dispute", rng.choice(options), False, True))
            elif area == Area.ROLE_TRANSITION:
                chosen.append(("transition", "friend from school", False, True))
        deficits = plan.area == Area.INTERPERSONAL_DEFICITS
        count = rng.randint(2, 4) if deficits else rng.randint(4, 7)
        taken = {relation for _, relation, _, _ in chosen}
        others = [r for r in RELATIONS if r not in taken]
        for relation in rng.sample(others, max(0, count - len(chosen))):
            # With deficits nobody changed around the onset (else another area would apply).
            chosen.append((relation, relation, False, not deficits and rng.random() < 0.2))
        if plan.deficits_questioned:
            # A loss or a change the therapist did not weigh: the flag asks the question.
            key, relation, _, _ = chosen[-1]
            chosen[-1] = (key, relation, rng.random() < 0.3, True)
        return chosen

    def _key_person(self, plan: _Plan) -> str:
        return {Area.GRIEF: "grief", Area.ROLE_DISPUTE: "dispute"}.get(plan.area, "transition")

    def _trigger(self, plan: _Plan) -> str:
        return {
            Area.GRIEF: "Death after a short illness",
            Area.ROLE_DISPUTE: "Arguments began and became weekly",
            Area.ROLE_TRANSITION: TRANSITIONS[plan.index % len(TRANSITIONS)][2].capitalize(),
            Area.INTERPERSONAL_DEFICITS: "Last close friend moved abroad",
        }[plan.area]

    def _formulation_session(self, plan: _Plan) -> TherapySession | None:
        """The session at which the formulation was agreed: the third one held."""
        if len(plan.happened) < 3 or not plan.attended:
            return None
        third = plan.happened[2]
        return next((s for s in plan.attended if s.number >= third.number), None)

    def _formulations(self, plans: list[_Plan]) -> None:
        rng = self.rng
        formulations, areas = [], []
        for plan in plans:
            agreed_at = self._formulation_session(plan)
            if agreed_at is None or plan.unfocused:
                continue
            plan.agreed_at = agreed_at
            formulation = Formulation(
                course=plan.course,
                text="The depression began with the changes in the patient's relationships "
                "recorded on the timeline; the focus follows from them.",
                rationale="The people and events linked here point to the chosen area.",
                agreed_on=None
                if plan.draft_formulation
                else self._local_day(agreed_at.scheduled_start),
                no_other_area_confirmed=plan.area == Area.INTERPERSONAL_DEFICITS,
            )
            plan.formulation = formulation
            formulations.append(formulation)
            for rank, area in enumerate(filter(None, (plan.area, plan.secondary)), start=1):
                areas.append(self._problem_area(plan, rank, area, agreed_at))
        self._bulk(Formulation, formulations)
        through_people = Formulation.linked_people.through
        through_events = Formulation.linked_events.through
        people_links, event_links = [], []
        for plan in plans:
            formulation = getattr(plan, "formulation", None)
            if formulation is None:
                continue
            for person in list(plan.people.values())[:2]:
                people_links.append(
                    through_people(formulation_id=formulation.pk, relationship_id=person.pk)
                )
            for event in plan.events[:2]:
                event_links.append(
                    through_events(formulation_id=formulation.pk, lifeevent_id=event.pk)
                )
        self._bulk(through_people, people_links, "formulation people")
        self._bulk(through_events, event_links, "formulation events")
        self._bulk(ProblemArea, areas, "problem areas")

        goals, stages = [], []
        for plan in plans:
            for problem_area in plan.areas:
                texts = rng.sample(GOALS[problem_area.area], rng.randint(2, 4))
                plan.goals[problem_area.rank] = [
                    Goal(problem_area=problem_area, text=text, status=self._goal_status(plan))
                    for text in texts
                ]
                goals.extend(plan.goals[problem_area.rank])
                if problem_area.area == Area.ROLE_DISPUTE:
                    stages.append(
                        DisputeStageChange(
                            problem_area=problem_area,
                            stage=ProblemArea.Stage.RENEGOTIATION,
                            changed_on=self._local_day(plan.agreed_at.scheduled_start),
                            note="First assessed: they still talk, though the talks end in rows.",
                            recorded_by=plan.therapist,
                        )
                    )
                    if problem_area.stage == ProblemArea.Stage.IMPASSE:
                        stages.append(
                            DisputeStageChange(
                                problem_area=problem_area,
                                stage=ProblemArea.Stage.IMPASSE,
                                changed_on=min(
                                    self.today, stages[-1].changed_on + timedelta(weeks=3)
                                ),
                                note="They have stopped talking about it.",
                                recorded_by=plan.therapist,
                            )
                        )
        self._bulk(Goal, goals)
        self._bulk(DisputeStageChange, stages, "dispute stage changes")

    def _problem_area(self, plan: _Plan, rank: int, area: str, agreed_at) -> ProblemArea:
        rng = self.rng
        transition = TRANSITIONS[plan.index % len(TRANSITIONS)]
        fields: dict = {}
        if area == Area.GRIEF:
            fields = {
                "deceased": plan.people["grief"],
                "date_of_death": plan.course.start_date - timedelta(days=rng.randint(90, 500)),
                "circumstances_of_death": "After a short illness; the patient was not there.",
                "complicating_factors": "Things left unsaid; has avoided every reminder.",
            }
        elif area == Area.ROLE_DISPUTE:
            fields = {
                "other_party": plan.people["dispute"],
                "dispute_issues": "Time, money and who does what at home.",
                "patient_expectations": "To be listened to and given credit.",
                "other_expectations": "More help and fewer promises.",
                "stage": rng.choice([ProblemArea.Stage.RENEGOTIATION] * 4 + ["impasse"]),
            }
        elif area == Area.ROLE_TRANSITION:
            fields = {
                "old_role": transition[0],
                "new_role": transition[1],
                "transition_date": plan.course.start_date - timedelta(days=rng.randint(60, 400)),
                "losses": "Daily company, routine and a sense of being useful.",
                "skills_needed": "Asking for help; meeting new people.",
            }
        else:
            fields = {
                "isolation_history": "Few close relationships since leaving school.",
                "relationships_to_develop": "An old friend; a neighbour.",
                "skills_to_practise": "Starting and keeping up a conversation.",
            }
        problem_area = ProblemArea(
            course=plan.course,
            area=area,
            rank=rank,
            created_at=agreed_at.scheduled_start + timedelta(hours=1),
            **fields,
        )
        plan.areas.append(problem_area)
        return problem_area

    def _goal_status(self, plan: _Plan) -> str:
        roll = self.rng.random()
        if plan.kind == "completed":
            return "achieved" if roll < 0.6 else "modified" if roll < 0.85 else "dropped"
        if plan.kind == "ended_early":
            return "open" if roll < 0.5 else "dropped"
        if len(plan.happened) < 6:
            return "open" if roll < 0.7 else "in_progress"
        return "in_progress" if roll < 0.6 else "achieved" if roll < 0.85 else "open"

    # Session focus: which area each middle-phase session worked on (none = drift) ------------

    def _focus(self, plans: list[_Plan]) -> None:
        rng = self.rng
        focuses, links = [], []
        for plan in plans:
            if not plan.areas:
                continue
            for session in plan.attended:
                if phase_for(session.number, plan.planned) != Phase.MIDDLE:
                    continue
                if rng.random() < plan.drift_rate:
                    area, goals = None, []
                else:
                    area = (
                        plan.areas[1]
                        if len(plan.areas) > 1 and rng.random() < 0.25
                        else plan.areas[0]
                    )
                    options = plan.goals[area.rank]
                    goals = rng.sample(options, min(len(options), rng.randint(1, 2)))
                kind = SessionFocus.Kind.AREA if area else SessionFocus.Kind.DRIFT
                focus = SessionFocus(session=session, kind=kind, problem_area=area)
                focuses.append(focus)
                links.extend((focus, goal) for goal in goals)
        self._bulk(SessionFocus, focuses, "session focus")
        through = SessionFocus.goals.through
        self._bulk(
            through,
            [through(sessionfocus_id=focus.pk, goal_id=goal.pk) for focus, goal in links],
            "session focus goals",
        )

    # Termination reviews (a completed course has one) ---------------------------------------

    def _reviews(self, plans: list[_Plan]) -> None:
        rng = self.rng
        reviews = []
        for plan in plans:
            if plan.kind != "completed":
                continue
            maintenance = rng.choice(["none", "none", "booster", "continuation", "monthly"])
            reviews.append(
                TerminationReview(
                    course=plan.course,
                    gains_reviewed="The patient named the changes and credited their own work.",
                    feelings_about_ending="Sad to stop, and confident about the plan.",
                    ipos_patient=rng.randint(2, 5),
                    ipos_therapist=rng.randint(2, 5),
                    warning_symptoms="Early waking; withdrawing from the people who matter.",
                    relapse_plan="Call the GP and the people named in the plan; use the skills.",
                    maintenance=maintenance,
                    maintenance_frequency="monthly for six months"
                    if maintenance == "monthly"
                    else "",
                    reviewed_on=self._local_day(plan.sessions[-1].scheduled_start),
                    recorded_by=plan.therapist,
                )
            )
        self._bulk(TerminationReview, reviews, "termination reviews")

    # Supervision: notes, course reviews, note reviews, fidelity ratings ----------------------

    def _supervision(self, plans: list[_Plan]) -> None:
        rng = self.rng
        notes, course_reviews, note_reviews, ratings = [], [], [], []
        for plan in plans:
            supervisor = plan.supervisor
            if supervisor is None or not plan.is_open or not plan.happened:
                continue
            if rng.random() < 0.2:
                notes.append(
                    SupervisionNote(
                        course=plan.course,
                        author=supervisor,
                        text=rng.choice(SUPERVISION_NOTES),
                        created_at=self.now - timedelta(days=rng.randint(1, 40)),
                    )
                )
            if rng.random() < 0.3:
                course_reviews.append(
                    CourseReview(
                        course=plan.course,
                        reviewer=supervisor,
                        reviewed_at=self.now - timedelta(days=rng.randint(1, 40)),
                    )
                )
            for session in plan.attended:
                if session.signed_at is None or rng.random() >= 0.15:
                    continue
                roll = rng.random()
                status = (
                    "co_signed" if roll < 0.8 else "needs_revision" if roll < 0.9 else "pending"
                )
                note_reviews.append(
                    NoteReview(
                        session=session,
                        reviewer=supervisor,
                        status=status,
                        comment=rng.choice(REVISION_COMMENTS) if status == "needs_revision" else "",
                    )
                )
                if status != "co_signed" or rng.random() >= 0.5:
                    continue
                codes = [
                    code for code, _ in FIDELITY_CHECKLIST[phase_for(session.number, plan.planned)]
                ]
                for rated_by, rater in (("supervisor", supervisor), ("therapist", plan.therapist)):
                    if rated_by == "therapist" and rng.random() >= 0.4:
                        continue
                    ratings.append(
                        FidelityRating(
                            session=session,
                            rated_by=rated_by,
                            rater=rater,
                            checklist=rng.sample(codes, rng.randint(len(codes) // 2, len(codes))),
                            adherence=rng.randint(3, 5),
                        )
                    )
        self._bulk(SupervisionNote, notes, "supervision notes")
        self._bulk(CourseReview, course_reviews, "course reviews")
        self._bulk(NoteReview, note_reviews, "note reviews")
        self._bulk(FidelityRating, ratings, "fidelity ratings")


def seed_scale_clinic(
    *,
    scale: float,
    password: str,
    seed: int = DEFAULT_SEED,
    log: Callable[[str], None] = lambda message: None,
) -> ScaleReport:
    """Create "Scale Clinic N" in one transaction; ScaleClinicExists if it is already there."""
    with transaction.atomic():
        return _Generator(scale=scale, seed=seed, password=password, log=log).run()
