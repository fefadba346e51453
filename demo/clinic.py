"""Demo patients and IPT courses for `manage.py seed_demo`: a clinic that looks lived in.

Every person here is fictional. For the two Demo Clinic therapists it creates patients whose
courses sit in each phase (planned, initial, middle, termination, and one held to its last
session), with item-level PHQ-9 and GAD-7 answers, phase-appropriate notes, a no-show, a
cancellation and a PHQ-9 item 9 above 0 that was followed up. Dates are laid out relative to
today in the clinic's time zone, on weekdays, so the next appointments are always coming up.

The course marked `completed` is left active with its termination sessions held: completing it
needs a termination review, which belongs to the inventory app, and sessions does not import
inventory. `seed_clinical_demo` returns the courses it created so that `demo.inventory` can add
the inventory, the formulation and the review, and complete that course.

Idempotent: a patient is keyed on (clinic, record_number); when it exists, it and its course
are left alone (and are not returned).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from demo.answers import gad7_answers, phq9_answers
from ipt_clinic.accounts.models import User
from patients.models import Patient
from patients.services import patient_archive, patient_create
from sessions.models import Course, Measure, Technique, TherapySession, severity_band
from sessions.phases import Phase, phase_for, should_raise_termination
from sessions.services import course_open

Attendance = TherapySession.Attendance
T = Technique

# The order in which answers rise as a total grows: core mood items first, psychomotor last.


# --- The patients ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCourse:
    weekday: int  # 0 = Monday; only weekdays
    at: time
    indication: str
    area: str  # grief / dispute / transition / deficits: picks the middle-phase notes
    held_through: int  # the last session in the past (0: not started yet)
    phq9: dict[int, int]  # session number -> PHQ-9 total; 0 = baseline at the assessment
    gad7: dict[int, int]
    words: dict[str, str]  # names and details the note templates fill in
    symptoms: str = ""
    medication: str = ""
    inventory: tuple[str, str, str] = ("", "", "")
    timeline: str = ""
    formulation: str = ""
    gains: str = ""
    warning_signs: str = ""
    supports: str = ""
    item_9: dict[int, int] = field(default_factory=dict)
    risk_check: dict[int, str] = field(default_factory=dict)
    # number -> ("no_show", "") or ("cancelled", reason)
    missed: dict[int, tuple[str, str]] = field(default_factory=dict)
    overrides: dict[int, dict[str, str]] = field(default_factory=dict)
    # Held to its last session, four weeks ago; demo.inventory completes it after the review.
    completed: bool = False
    latest_unsigned: bool = False  # leave the newest note waiting for its signature


@dataclass(frozen=True)
class DemoPatient:
    record_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    email: str = ""
    phone: str = ""
    channel: str = Patient.Channel.EMAIL
    consent: bool = False
    archived: bool = False
    course: DemoCourse | None = None


MAIN_CASELOAD = [
    DemoPatient(
        "DEMO-0001",
        "Eleanor",
        "Whitfield",
        date(1988, 3, 14),
        email="eleanor.whitfield@example.org",
        consent=True,
        course=DemoCourse(
            weekday=0,
            at=time(10, 0),
            indication="Major depressive episode, moderately severe, since her mother's death "
            "from pancreatic cancer seven months ago. Has stopped seeing friends and cannot face "
            "clearing the family home. Referred by her GP.",
            area="grief",
            held_through=1,
            phq9={0: 16, 1: 16},
            gad7={0: 9},
            words={"name": "Eleanor", "other": "her mother Margaret"},
            symptoms="Low mood most days, early waking, poor concentration at work, tearful "
            "in the evenings, has withdrawn from friends",
            medication="Not on medication; prefers to start with therapy. Agreed to review "
            "with her GP if the PHQ-9 has not improved by session 6.",
            inventory=(
                "Started the inventory: mother Margaret (died in March, inner circle), "
                "father Keith (inner circle, phones daily), partner Sam.",
                "",
                "",
            ),
            latest_unsigned=True,
        ),
    ),
    DemoPatient(
        "DEMO-0002",
        "Marcus",
        "Delaney",
        date(1983, 9, 2),
        email="marcus.delaney@example.org",
        phone="07700 900112",
        channel=Patient.Channel.SMS,
        consent=True,
        course=DemoCourse(
            weekday=1,
            at=time(17, 30),
            indication="Major depressive episode, moderately severe, over the past five months, "
            "in the setting of escalating conflict with his wife about work and childcare.",
            area="dispute",
            held_through=7,
            phq9={0: 19, 1: 19, 2: 17, 3: 15, 4: 13, 5: 11, 7: 8},
            gad7={0: 14, 4: 10},
            words={
                "name": "Marcus",
                "other": "his wife Claire",
                "issue": "his long working hours and how the childcare is shared",
                "stage": "renegotiation: they still talk about it, though the talks end in rows",
            },
            symptoms="Low mood and irritability most days, broken sleep, exhausted, feels a "
            "failure as a father and husband",
            medication="Tried sertraline two years ago and stopped it for side effects; does "
            "not want medication now. GP aware.",
            inventory=(
                "Claire (wife, inner circle): close but tense for a year, rows weekly. "
                "Children Ava (8) and Leo (5).",
                "His mother (middle circle), his brother Tom (outer circle, rarely in touch), "
                "line manager Priyanka (demanding, fair). Rows with Claire began when he was "
                "promoted last spring.",
                "Completed. The relationship with Claire changed most around the onset.",
            ),
            timeline="Promotion in April; longer hours from May; rows from June; low mood "
            "from August, worse after a row at his daughter's birthday.",
            formulation="Marcus's depression began as the dispute with Claire over his hours "
            "and the childcare escalated; they want different things and have not found a way "
            "to say so without a row. Focus: role dispute.",
            missed={6: ("cancelled", "Work trip to Glasgow; he gave a week's notice.")},
        ),
    ),
    DemoPatient(
        "DEMO-0003",
        "Priya",
        "Nandakumar",
        date(1994, 6, 21),
        email="priya.nandakumar@example.org",
        phone="07700 900245",
        channel=Patient.Channel.SMS,
        consent=True,
        course=DemoCourse(
            weekday=2,
            at=time(18, 0),
            indication="Major depressive episode, moderately severe, since moving from Leicester "
            "to London for a promotion eight months ago; isolated and struggling in the new "
            "role.",
            area="transition",
            held_through=6,
            phq9={0: 17, 1: 17, 2: 16, 3: 16, 4: 16, 6: 15},
            item_9={6: 1},
            gad7={0: 13, 4: 12},
            words={
                "name": "Priya",
                "old_role": "senior analyst in Leicester, close to her family and friends",
                "new_role": "team manager in London, living alone",
            },
            symptoms="Low mood, loss of interest, oversleeping at weekends, comfort eating, "
            "dreads Monday mornings",
            medication="Discussed; would consider an antidepressant if therapy alone does not "
            "help. To review at mid-course.",
            inventory=(
                "Sister Anjali (inner circle, calls weekly), parents in Leicester (inner "
                "circle), old friend Hannah (middle circle, contact has dropped).",
                "Colleagues in London (outer circle, polite, distant); her manager (critical). "
                "Mood fell within weeks of the move.",
                "Completed: almost every close relationship is now at a distance.",
            ),
            timeline="Promotion offered in January; moved in March; first low weeks in April; "
            "stopped going home at weekends in June.",
            formulation="Priya's depression started with the move and the new role: she lost "
            "daily contact with the people who matter and has not built anything in their "
            "place. Focus: role transition.",
            missed={5: ("no_show", "")},
            risk_check={
                6: "PHQ-9 item 9 scored 1 (several days). Passive thoughts that it would be "
                "easier not to wake up, on two or three evenings after criticism at work. No "
                "plan, no intent, no previous self-harm or attempts; no access to means "
                "identified. Protective factors: her sister Anjali, her parents, a visit home "
                "planned. Safety plan written together; crisis line and GP out-of-hours "
                "numbers given. Will ask again at the next session; discussed in supervision."
            },
            overrides={
                6: {
                    "since_last_met": "Missed last week without word; said she could not face "
                    "leaving the flat after a hard day. A difficult fortnight.",
                    "mood_and_events": "Mood lowest after her manager criticised her report in "
                    "front of the team; spent the weekend alone and did not call home.",
                    # A session that drifted from the focus (recorded as drift by inventory).
                    "problem_area_work": "Little work on the transition today: most of the "
                    "session went on the risk assessment and on going over the criticism at "
                    "work. Back to the move and the new role next week.",
                    "progress_note": "Session 6 of 12, middle phase. PHQ-9 15 (moderately "
                    "severe), barely changed from 17 at the start: not responding at "
                    "mid-course. Item 9 positive for the first time; risk assessed (see risk "
                    "check), low, safety plan in place. Plan: ask her GP to review medication, "
                    "bring the case to supervision, re-check item 9 next week.",
                }
            },
        ),
    ),
    DemoPatient(
        "DEMO-0004",
        "Graham",
        "Ashworth",
        date(1961, 11, 5),
        email="graham.ashworth@example.org",
        course=DemoCourse(
            weekday=3,
            at=time(11, 0),
            indication="Major depressive episode, moderate, since retiring as a secondary school "
            "teacher last summer; lost his structure, purpose and daily company.",
            area="transition",
            held_through=10,
            phq9={0: 15, 1: 15, 2: 14, 3: 13, 4: 12, 5: 11, 6: 9, 7: 8, 8: 7, 9: 7, 10: 6},
            gad7={0: 8, 4: 6, 8: 4},
            words={
                "name": "Graham",
                "old_role": "head of geography at the same school for 38 years",
                "new_role": "retired, at home all day with his wife Ruth",
            },
            symptoms="Low mood, loss of interest in walking and the allotment, poor sleep, "
            "feels useless",
            medication="Not indicated at present; happy to try therapy first.",
            inventory=(
                "Wife Ruth (inner circle, supportive but finds him 'under her feet'); "
                "daughter Kate (inner circle, lives in Bristol).",
                "Former colleagues (middle circle, no contact since leaving), walking group "
                "(outer circle, lapsed). Symptoms began in the autumn term he did not return.",
                "Completed.",
            ),
            timeline="Retired in July; first September without school; low by October; "
            "stopped the walking group in November.",
            formulation="Graham's depression is linked to the loss of his working role and "
            "everything that came with it: routine, respect, company. Focus: role transition.",
            gains="Back at the walking group, volunteers two mornings a week with a reading "
            "scheme, and talks with Ruth about how they share the days.",
            warning_signs="Staying in bed past nine, dropping the walking group, saying he is "
            "'no use to anyone'.",
            supports="Ruth, Kate and the walking group",
        ),
    ),
    DemoPatient(
        "DEMO-0005",
        "Nadia",
        "Kowalczyk",
        date(1996, 1, 30),
        email="nadia.kowalczyk@example.org",
        consent=True,
        course=DemoCourse(
            weekday=4,
            at=time(14, 0),
            indication="Major depressive episode, severe, with complicated grief fourteen months "
            "after her brother's death in a road accident.",
            area="grief",
            held_through=12,
            phq9={
                0: 21,
                1: 21,
                2: 20,
                3: 18,
                4: 17,
                5: 15,
                6: 13,
                7: 11,
                8: 9,
                9: 7,
                10: 6,
                11: 5,
                12: 4,
            },
            gad7={0: 15, 4: 12, 8: 8, 12: 5},
            words={"name": "Nadia", "other": "her brother Tomasz"},
            symptoms="Persistent low mood, guilt, poor sleep with nightmares about the "
            "accident, stopped seeing friends and dropped her evening course",
            medication="Started mirtazapine with her GP two months ago; continues. No change "
            "planned during IPT.",
            inventory=(
                "Brother Tomasz (died 14 months ago, inner circle), mother and father (inner "
                "circle, grieving too; the family does not speak of him).",
                "Partner Kuba (inner circle), friend Ola (middle circle, contact lost), "
                "colleagues (outer circle). The family stopped talking after the funeral.",
                "Completed.",
            ),
            timeline="Accident in the spring; funeral; back at work after two weeks; low from "
            "the summer; worse at the anniversary.",
            formulation="Nadia's depression is linked to a mourning that has not been able to "
            "happen: she has avoided everything that reminds her of Tomasz. Focus: grief.",
            gains="Can talk about Tomasz and look at photographs; visited the grave with her "
            "parents; back in touch with Ola and has re-enrolled on her evening course.",
            warning_signs="Avoiding anything that reminds her of Tomasz, nightmares returning, "
            "cancelling plans with Ola.",
            supports="Kuba, Ola and her mother",
            completed=True,
        ),
    ),
    DemoPatient(
        "DEMO-0006",
        "Jonah",
        "Pell",
        date(2001, 4, 17),
        email="jonah.pell@example.org",
        course=DemoCourse(
            weekday=-1,  # the next weekday at least two days away
            at=time(15, 0),
            indication="Major depressive episode, moderate, on a background of long-standing "
            "isolation; no bereavement, dispute or recent life change found at assessment.",
            area="deficits",
            held_through=0,
            phq9={0: 14},
            gad7={0: 10},
            words={"name": "Jonah"},
        ),
    ),
    DemoPatient(
        "DEMO-0007",
        "Victor",
        "Hale",
        date(1975, 8, 9),
        email="victor.hale@example.org",
        archived=True,
    ),
]

SECOND_CASELOAD = [
    DemoPatient(
        "DEMO-0008",
        "Sofia",
        "Marchetti",
        date(1986, 12, 3),
        email="sofia.marchetti@example.org",
        consent=True,
        course=DemoCourse(
            weekday=1,
            at=time(13, 0),
            indication="Major depressive episode, moderate, since a falling-out with her sister "
            "over the care of their father, who has dementia.",
            area="dispute",
            held_through=5,
            phq9={0: 14, 1: 14, 2: 13, 3: 12, 4: 11, 5: 10},
            gad7={0: 11, 4: 9},
            words={
                "name": "Sofia",
                "other": "her sister Giulia",
                "issue": "who looks after their father and whether he should move into a home",
                "stage": "impasse: they have not spoken for two months",
            },
            symptoms="Low mood, guilt, poor sleep, irritable with her children",
            medication="Declined medication; GP aware.",
            inventory=(
                "Sister Giulia (inner circle until recently, no contact for two months); "
                "father Enzo (inner circle, dementia, lives alone).",
                "Husband Mark (inner circle, supportive), two children, friend Rosa (middle "
                "circle). Mood fell after the row with Giulia at Easter.",
                "Completed.",
            ),
            timeline="Father's diagnosis last year; caring fell to Sofia; row with Giulia at "
            "Easter; no contact since; low mood from May.",
            formulation="Sofia's depression is tied to the dispute with Giulia: each expects "
            "the other to do more for their father, and neither has said so calmly. Focus: "
            "role dispute.",
            latest_unsigned=True,
        ),
    ),
    DemoPatient(
        "DEMO-0009",
        "Daniel",
        "Osei",
        date(1974, 5, 25),
        email="daniel.osei@example.org",
        course=DemoCourse(
            weekday=3,
            at=time(16, 0),
            indication="Major depressive episode, moderately severe, since his divorce and move "
            "into a flat on his own six months ago.",
            area="transition",
            held_through=2,
            # Session 2's PHQ-9 was not taken: the caseload shows the measures overdue.
            phq9={0: 18, 1: 18},
            gad7={0: 12},
            words={
                "name": "Daniel",
                "old_role": "married, living with his family",
                "new_role": "divorced, living alone and seeing his sons at weekends",
            },
            symptoms="Low mood, poor sleep, drinking more in the evenings, cut off from friends",
            medication="Discussed; would rather not. Alcohol advice given; GP informed.",
            inventory=(
                "Sons Kwame (14) and Kofi (11) (inner circle, every other weekend); former "
                "wife Abena (middle circle, civil).",
                "Friend Joe (middle circle, contact lapsed), his sister in Manchester (middle "
                "circle). Mood fell after moving out in the spring.",
                "",
            ),
            timeline="Separation in the spring; moved out in April; divorce final in "
            "September; low since the summer.",
        ),
    ),
    DemoPatient(
        "DEMO-0010",
        "Rowan",
        "Ashby",
        date(1992, 2, 11),
        email="rowan.ashby@example.org",
        course=DemoCourse(
            weekday=2,
            at=time(10, 30),
            indication="Major depressive episode, moderate, on a background of long-standing "
            "isolation and few close relationships; no bereavement, dispute or recent life "
            "change found at assessment.",
            area="deficits",
            held_through=6,
            # Getting worse: PHQ-9 up 6 points (reliable deterioration), GAD-7 up 4.
            phq9={0: 13, 1: 13, 2: 14, 3: 15, 4: 16, 5: 18, 6: 19},
            gad7={0: 9, 4: 13},
            words={"name": "Rowan", "friend": "Dev", "colleague": "Hollie"},
            symptoms="Low mood for most of the winter, tired, little pleasure in anything, "
            "spends evenings and weekends alone in his flat",
            medication="Discussed; prefers to try therapy first. To review with his GP at "
            "session 8 if the PHQ-9 has not moved.",
            inventory=(
                "Mother Linda (inner circle, phones weekly); Aunt Jean (middle circle, the "
                "relative he finds easiest).",
                "Father Geoff (outer circle, rarely in touch since the divorce in his "
                "childhood), old school friend Dev (no contact for three years), colleague "
                "Hollie (outer circle, talks only about work). No relationship changed around "
                "the onset.",
                "Completed: few relationships, none lost recently; a long pattern of waiting "
                "for others to get in touch.",
            ),
            timeline="Changed schools at twelve and lost his friends; left university in the "
            "second year; low spells most winters since; Dev moved away three years ago; "
            "stopped answering his mother's calls this winter.",
            formulation="Rowan's depression sits on a long history of few and unsatisfying "
            "relationships: he waits for others to make contact, expects to be a burden, and "
            "withdraws when low, which deepens the isolation. No death, dispute or recent "
            "change was found. Focus: interpersonal deficits.",
        ),
    ),
]


# --- The notes ------------------------------------------------------------------------------

MIDDLE_STEPS = {
    "grief": [
        {
            "since_last_met": "A flat week; went to work but spent the evenings alone.",
            "mood_and_events": "Mood lowest at the weekend, when {other} used to phone; "
            "better after an hour with a friend.",
            "problem_area_work": "Reconstructed the relationship with {other}: early "
            "memories, what they did together, what {name} misses most.",
            "techniques": [T.EXPLORATORY, T.AFFECT],
            "homework": "Look through the photographs and bring two.",
        },
        {
            "since_last_met": "Brought two photographs; cried while choosing them.",
            "mood_and_events": "A low day after the family avoided mentioning {other} at a "
            "birthday dinner.",
            "problem_area_work": "Went through the events around the death in detail: the news, "
            "the hospital, the funeral that {name} barely remembers.",
            "techniques": [T.DIRECT_ELICITATION, T.AFFECT],
            "homework": "Write what {name} would have liked to say at the funeral.",
        },
        {
            "since_last_met": "Wrote the letter; read part of it aloud in the session.",
            "mood_and_events": "Felt lighter after talking about {other} with a friend for the "
            "first time.",
            "problem_area_work": "Explored mixed feelings: anger at {other} as well as love, and "
            "guilt about the anger. Normalised both.",
            "techniques": [T.AFFECT, T.CLARIFICATION],
            "homework": "List the activities and people dropped since the death.",
        },
        {
            "since_last_met": "A better week; slept through on most nights.",
            "mood_and_events": "Mood lifted on the days with plans; dipped on an empty Sunday.",
            "problem_area_work": "Weighed which activities and relationships to take up again "
            "first; chose to contact an old friend.",
            "techniques": [T.DECISION_ANALYSIS, T.EXPLORATORY],
            "homework": "Send the message to the friend.",
        },
        {
            "since_last_met": "Met the friend for coffee; went better than feared.",
            "mood_and_events": "Good mood after the meeting; a short dip when the friend "
            "mentioned {other}, which {name} managed to talk about.",
            "problem_area_work": "Rehearsed talking with the family about {other}; role play of "
            "opening the subject with a parent.",
            "techniques": [T.ROLE_PLAY, T.COMMUNICATION_ANALYSIS],
            "homework": "Raise the subject of {other} with the family once.",
        },
        {
            "since_last_met": "Talked about {other} at a family meal; everyone cried, then "
            "laughed at old stories.",
            "mood_and_events": "Mood steadily better; linked it to being able to share the loss.",
            "problem_area_work": "Reviewed how the mourning has moved on and what keeps the "
            "memory of {other} alive without avoiding it.",
            "techniques": [T.CLARIFICATION, T.THERAPEUTIC_RELATIONSHIP],
            "homework": "Plan how to mark the anniversary.",
        },
    ],
    "dispute": [
        {
            "since_last_met": "Two rows this week, both in the evening.",
            "mood_and_events": "Mood dropped after each row and stayed low the next day.",
            "problem_area_work": "Clarified the dispute with {other} over {issue}: what each "
            "expects of the other. Stage: {stage}.",
            "techniques": [T.EXPLORATORY, T.CLARIFICATION],
            "homework": "Notice what each row was really about.",
        },
        {
            "since_last_met": "One row; {name} walked out of it.",
            "mood_and_events": "Low for two days after the row; better after a calm evening.",
            "problem_area_work": "Communication analysis of the row, line by line: what was "
            "said, what was meant, what was heard. Both sides feel unappreciated.",
            "techniques": [T.COMMUNICATION_ANALYSIS, T.AFFECT],
            "homework": "Say one appreciative thing to {other} each day.",
        },
        {
            "since_last_met": "Quieter week; tried the appreciation exercise.",
            "mood_and_events": "Mood better on the days without conflict.",
            "problem_area_work": "Decision analysis: options for {issue}, with the likely "
            "response of {other} to each. Chose one to propose.",
            "techniques": [T.DECISION_ANALYSIS, T.CLARIFICATION],
            "homework": "Find a calm moment to propose the plan.",
        },
        {
            "since_last_met": "Has not yet found the moment; anxious about it.",
            "mood_and_events": "Mood steady; anxiety rises when thinking about the talk.",
            "problem_area_work": "Role play of the conversation with {other}; tried two "
            "openings, kept the one that did not sound like blame.",
            "techniques": [T.ROLE_PLAY, T.COMMUNICATION_ANALYSIS],
            "homework": "Have the conversation this week.",
        },
        {
            "since_last_met": "Had the conversation; {other} listened, and they agreed a trial "
            "arrangement.",
            "mood_and_events": "Felt relieved and hopeful after it; best week for months.",
            "problem_area_work": "Reviewed the conversation: what worked, where it nearly went "
            "wrong. The dispute moves from stalemate towards renegotiation.",
            "techniques": [T.COMMUNICATION_ANALYSIS, T.AFFECT],
            "homework": "Keep to the trial arrangement; note any friction.",
        },
        {
            "since_last_met": "The arrangement mostly held; one small disagreement talked through.",
            "mood_and_events": "Mood better and steadier; linked to fewer rows.",
            "problem_area_work": "Consolidated the new way of raising problems with {other}; "
            "planned how to handle a relapse into old patterns.",
            "techniques": [T.CLARIFICATION, T.THERAPEUTIC_RELATIONSHIP],
            "homework": "Review the arrangement together at the weekend.",
        },
    ],
    "transition": [
        {
            "since_last_met": "Some better moments; most evenings low.",
            "mood_and_events": "Mood lowest on the days that most reminded {name} of what "
            "changed; better after any contact with people who matter.",
            "problem_area_work": "Reviewed the old role ({old_role}): what was good about it, "
            "what was lost, and the feelings about losing it.",
            "techniques": [T.EXPLORATORY, T.AFFECT],
            "homework": "List what was valued in the old role.",
        },
        {
            "since_last_met": "Brought the list; surprised by how long it was.",
            "mood_and_events": "A low weekend linked to having no plans and no one to call.",
            "problem_area_work": "Mourning the old role: sadness, and some anger about how the "
            "change came about. Began to look at the new role ({new_role}) without judging it "
            "yet.",
            "techniques": [T.AFFECT, T.CLARIFICATION],
            "homework": "Note one thing each day that the new situation offers.",
        },
        {
            "since_last_met": "Found a few good things to note, with effort.",
            "mood_and_events": "Mood lifted after {name} took the initiative to contact someone.",
            "problem_area_work": "Weighed the good and the bad of the new role; listed the "
            "skills and supports it needs and who could help.",
            "techniques": [T.DECISION_ANALYSIS, T.CLARIFICATION],
            "homework": "Take one small step towards a new activity.",
        },
        {
            "since_last_met": "Went along to a local group once.",
            "mood_and_events": "Mood better on the day of the group; flat the day after.",
            "problem_area_work": "Decision analysis of the next step into the new role; role "
            "play of asking to join in more regularly.",
            "techniques": [T.DECISION_ANALYSIS, T.ROLE_PLAY],
            "homework": "Go again and introduce yourself to one person.",
        },
        {
            "since_last_met": "Went twice; beginning to recognise people.",
            "mood_and_events": "A good week; a dip after an awkward conversation.",
            "problem_area_work": "Communication analysis of the awkward conversation; it went "
            "better than {name} first thought.",
            "techniques": [T.COMMUNICATION_ANALYSIS, T.EXPLORATORY],
            "homework": "Keep up the new routine.",
        },
        {
            "since_last_met": "Settled week; the new routine is holding.",
            "mood_and_events": "Mood steadier; links it to structure and company.",
            "problem_area_work": "Consolidating: the new role now has things {name} values; "
            "looked back at the old role with less grief.",
            "techniques": [T.CLARIFICATION, T.THERAPEUTIC_RELATIONSHIP],
            "homework": "Think about what has helped, for the last sessions.",
        },
    ],
}

MIDDLE_STEPS["deficits"] = [
    {
        "since_last_met": "A quiet week; spoke to no one outside work except a short call "
        "with his mother.",
        "mood_and_events": "Mood lowest over the weekend alone; a little better after the call.",
        "problem_area_work": "Reviewed past important relationships in detail, from school on: "
        "what went well, where they faded, and the pattern of {name} waiting for others to "
        "get in touch.",
        "techniques": [T.EXPLORATORY, T.CLARIFICATION],
        "homework": "Keep a note of each contact with people this week and how it felt.",
    },
    {
        "since_last_met": "Kept the note: four short contacts, all at work.",
        "mood_and_events": "Felt better when {colleague} asked {name} to join the lunch table; "
        "low for the afternoon after saying no.",
        "problem_area_work": "Communication analysis of the lunch invitation: what {name} said, "
        "what was feared, how it may have come across. Noticed the same hesitation with the "
        "therapist and talked about it.",
        "techniques": [T.COMMUNICATION_ANALYSIS, T.THERAPEUTIC_RELATIONSHIP],
        "homework": "Accept one small invitation, or make one.",
    },
    {
        "since_last_met": "Sent a message to {friend}, an old school friend, for the first "
        "time in three years; a short, warm reply.",
        "mood_and_events": "Mood lifted for a day after the reply; anxious while waiting for it.",
        "problem_area_work": "Decision analysis: which relationships to revive and which new "
        "ones to start; chose {friend}, and lunch with {colleague} once a week.",
        "techniques": [T.DECISION_ANALYSIS, T.AFFECT],
        "homework": "Suggest a call or a meeting to {friend}.",
    },
    {
        "since_last_met": "Had a phone call with {friend}; it went on for an hour.",
        "mood_and_events": "Good mood after the call; flat again by the weekend.",
        "problem_area_work": "Role play of suggesting a meeting and of keeping a conversation "
        "going past the first questions.",
        "techniques": [T.ROLE_PLAY, T.COMMUNICATION_ANALYSIS],
        "homework": "Arrange to meet {friend}; join the lunch table twice.",
    },
    {
        "since_last_met": "Met {friend} for a day out; some awkward silences, but agreed to "
        "meet again.",
        "mood_and_events": "Mood better on the days with company; the PHQ-9 is moving slowly.",
        "problem_area_work": "Reviewed the meeting: what helped, what {name} avoided saying; "
        "looked for a group activity with other people.",
        "techniques": [T.EXPLORATORY, T.AFFECT],
        "homework": "Go once to the group chosen.",
    },
    {
        "since_last_met": "Went to the group once; left early, but plans to go back.",
        "mood_and_events": "Mood steadier; links it to having plans in the week.",
        "problem_area_work": "Consolidating the new contacts and planning how to keep them "
        "going after the course; what to do if the old withdrawal returns.",
        "techniques": [T.CLARIFICATION, T.THERAPEUTIC_RELATIONSHIP],
        "homework": "Think about what has helped, for the last sessions.",
    },
]

TERMINATION_STEPS = [
    {
        "feelings_about_ending": "Sad and a little anxious about managing without the weekly "
        "sessions; named that the ending is a loss too, and a normal one.",
        "relapse_plan": "Started the relapse plan: what helped, who to call ({supports}).",
        "homework": "Write down the warning signs in your own words.",
        "summary": "Gains reviewed and credited to {name}; feelings about ending explored.",
    },
    {
        "feelings_about_ending": "Less anxious about ending; proud of the work done.",
        "relapse_plan": "Relapse plan written: warning signs, what to do, who to tell "
        "({supports}), and to see the GP if low mood lasts two weeks. No maintenance "
        "sessions needed; a booster session can be requested.",
        "homework": "Keep the relapse plan somewhere easy to find.",
        "summary": "Relapse plan written together; no maintenance needed.",
    },
    {
        "feelings_about_ending": "Thanked the therapist; said goodbye with some sadness and "
        "confidence.",
        "relapse_plan": "Relapse plan agreed and copied to the GP. Discharge letter to follow.",
        "homework": "",
        "summary": "Final session: focus resolved, relapse plan agreed, discharged to the GP.",
    },
]


def _phase_fields(
    course: DemoCourse, number: int, planned: int, phq: int | None, middle_step: int
) -> dict[str, object]:
    """The note of attended session `number`; `middle_step` counts the middle-phase sessions
    attended before it, so a missed week does not skip a step of the work."""
    words = {**course.words, "supports": course.supports}
    phase = phase_for(number, planned)
    band = f"{phq} ({severity_band(Measure.Kind.PHQ9, phq)})" if phq is not None else "not done"
    if phase == Phase.INITIAL:
        notes = {
            1: {
                "symptom_review": f"PHQ-9 {band}. {course.symptoms}.",
                "diagnosis_given": True,
                "sick_role_explained": True,
                "medication_considered": course.medication,
                "contract_agreed": True,
                "formulation_notes": "Provisional: a clear link between mood and recent "
                "events in {name}'s relationships; to test with the inventory.",
                "homework": "Think about the important people in your life, for the inventory.",
                "summary": "Assessment reviewed, diagnosis of depression given and the sick "
                "role explained.",
            },
            2: {
                "symptom_review": f"PHQ-9 {band}. Symptoms much as last week.",
                "sick_role_explained": True,
                "medication_considered": "Reviewed: no change to the plan.",
                "formulation_notes": f"Timeline: {course.timeline}",
                "homework": "Notice how mood follows contact with people this week.",
                "summary": "Inventory continued and timeline drawn; sick role revisited.",
            },
            3: {
                "symptom_review": f"PHQ-9 {band}.",
                "medication_considered": "No change.",
                "formulation_notes": f"{course.formulation} {{name}} agreed with the "
                "formulation and the focus; goals set.",
                "homework": "Keep a short note of the interactions that matter this week.",
                "summary": "Formulation presented and agreed; focus and goals set.",
            },
        }[number]
        notes["inventory_progress"] = course.inventory[number - 1] or "Continued; no change."
    elif phase == Phase.MIDDLE:
        notes = dict(MIDDLE_STEPS[course.area][middle_step])
        notes["summary"] = notes["problem_area_work"]
        notes["termination_raised"] = should_raise_termination(number, planned)
    else:
        step = dict(TERMINATION_STEPS[number - (planned - 2)])
        baseline = course.phq9[0]
        notes = {
            **step,
            "gains_reviewed": f"PHQ-9 {baseline} at the start, {band} now. {course.gains}",
            "warning_signs": course.warning_signs,
            "termination_raised": True,
        }
    if notes.get("termination_raised"):
        remaining = planned - number
        notes["summary"] += (
            f" The end of treatment discussed: {remaining} "
            f"session{'s' if remaining > 1 else ''} to go."
            if remaining
            else " Last session."
        )
    summary = notes.pop("summary")
    notes["progress_note"] = (
        f"Session {number} of {planned}, {phase.label}. PHQ-9 {band}. {summary}"
    )
    notes.update(course.overrides.get(number, {}))
    notes["risk_check_note"] = course.risk_check.get(number, "")
    return {
        name: [str(t) for t in value]
        if isinstance(value, list)
        else value.format(**words)
        if isinstance(value, str)
        else value
        for name, value in notes.items()
    }


NOTE_FIELDS = [
    "attendance",
    "actual_minutes",
    "cancelled_by",
    "cancellation_reason",
    "symptom_review",
    "diagnosis_given",
    "sick_role_explained",
    "medication_considered",
    "contract_agreed",
    "inventory_progress",
    "formulation_notes",
    "since_last_met",
    "mood_and_events",
    "problem_area_work",
    "techniques",
    "termination_raised",
    "gains_reviewed",
    "feelings_about_ending",
    "warning_signs",
    "relapse_plan",
    "homework",
    "progress_note",
    "risk_check_note",
    "held_by",
    "note_author",
    "signed_at",
    "signed_by",
]


# --- Writing it -----------------------------------------------------------------------------


def _days_to(today: date, weekday: int) -> int:
    """Days from today to the next `weekday` (0 = today)."""
    if weekday < 0:  # the first weekday at least two days away
        days = 2
        while (today + timedelta(days=days)).weekday() >= 5:
            days += 1
        return days
    return (weekday - today.weekday()) % 7


def _seed_course(patient: Patient, spec: DemoCourse, therapist: User) -> Course:
    zone = patient.clinic.zone
    today = timezone.localdate(timezone=zone)
    days = _days_to(today, spec.weekday)
    weekday = (today + timedelta(days=days)).weekday()
    planned = 12
    if spec.held_through == 0:
        start_date = today
    else:
        # The last session held was one week before the next slot (four weeks for a finished
        # course, so its end is not yesterday); the assessment four days before session 1.
        weeks_back = 4 if spec.completed else 1
        first_day = today + timedelta(days=days - 7 * (weeks_back + spec.held_through - 1))
        start_date = first_day - timedelta(days=4)

    course = course_open(
        by=therapist,
        patient=patient,
        therapist=therapist,
        planned_sessions=planned,
        start_date=start_date,
        usual_weekday=weekday,
        usual_time=spec.at,
        session_minutes=50,
        indication=spec.indication,
        baseline={
            Measure.Kind.PHQ9: phq9_answers(spec.phq9[0]),
            Measure.Kind.GAD7: gad7_answers(spec.gad7[0]),
        },
    )
    assessed_at = datetime.combine(start_date, time(9, 30), tzinfo=zone)
    Course.objects.filter(pk=course.pk).update(created_at=assessed_at)
    TherapySession.objects.filter(course=course).update(created_at=assessed_at)
    Measure.objects.filter(course=course).update(created_at=assessed_at)
    if spec.held_through == 0:
        return course

    sessions = list(course.sessions.filter(number__lte=spec.held_through).order_by("number"))
    attended = [s for s in sessions if s.number not in spec.missed]
    latest = attended[-1]
    measures = []
    middle_step = 0
    for session in sessions:
        missed = spec.missed.get(session.number)
        if missed:
            session.attendance, session.cancellation_reason = missed
            if session.attendance == Attendance.CANCELLED:
                session.cancelled_by = TherapySession.CancelledBy.PATIENT
            continue
        n = session.number
        day = timezone.localtime(session.scheduled_start, zone).date()
        recorded_at = session.scheduled_start + timedelta(minutes=5)
        session.attendance = Attendance.ATTENDED
        session.actual_minutes = (45, 50, 48, 52, 50)[n % 5]
        session.held_by = session.note_author = therapist
        notes = _phase_fields(spec, n, planned, spec.phq9.get(n), middle_step)
        for name, value in notes.items():
            setattr(session, name, value)
        if phase_for(n, planned) == Phase.MIDDLE:
            middle_step += 1
        if not (spec.latest_unsigned and session is latest):
            session.signed_at = session.scheduled_start + timedelta(hours=3)
            session.signed_by = therapist
        if n in spec.phq9:
            measures.append(
                Measure(
                    course=course,
                    session=session,
                    kind=Measure.Kind.PHQ9,
                    administered_on=day,
                    recorded_by=therapist,
                    created_at=recorded_at,
                    **phq9_answers(spec.phq9[n], spec.item_9.get(n, 0)),
                )
            )
        if n in spec.gad7:
            measures.append(
                Measure(
                    course=course,
                    session=session,
                    kind=Measure.Kind.GAD7,
                    administered_on=day,
                    recorded_by=therapist,
                    created_at=recorded_at,
                    **gad7_answers(spec.gad7[n]),
                )
            )
    TherapySession.objects.bulk_update(sessions, NOTE_FIELDS)
    Measure.objects.bulk_create(measures)
    course.status = Course.Status.ACTIVE
    course.save(update_fields=["status", "updated_at"])
    return course


def _seed_patient(spec: DemoPatient, therapist: User) -> tuple[bool, Course | None]:
    """Create the patient and their course: (created, the new course or None).

    (False, None) when the record number is taken."""
    clinic = therapist.clinic
    if Patient.objects.filter(clinic=clinic, record_number=spec.record_number).exists():
        return False, None
    zone = clinic.zone
    today = timezone.localdate(timezone=zone)
    course = spec.course
    # Registered a fortnight before the assessment (or a few months ago for the archived).
    if course is None:
        registered = today - timedelta(days=150)
    else:
        weeks = course.held_through + (4 if course.completed else 1)
        registered = today - timedelta(weeks=weeks, days=14)
    patient = patient_create(
        by=therapist,
        therapist=therapist,
        patient=Patient(
            clinic=clinic,
            therapist=therapist,
            record_number=spec.record_number,
            given_name=spec.given_name,
            family_name=spec.family_name,
            date_of_birth=spec.date_of_birth,
            email=spec.email,
            phone=spec.phone,
            preferred_channel=spec.channel if spec.consent else Patient.Channel.EMAIL,
            reminder_consent=spec.consent,
            reminder_consent_on=registered if spec.consent else None,
            created_at=datetime.combine(registered, time(9, 0), tzinfo=zone),
        ),
    )
    if spec.archived:
        patient_archive(by=therapist, patient=patient)
        Patient.objects.filter(pk=patient.pk).update(
            archived_at=datetime.combine(today - timedelta(days=120), time(12, 0), tzinfo=zone)
        )
    if course is None:
        return True, None
    return True, _seed_course(patient, course, therapist)


def seed_clinical_demo(*, therapist: User, therapist2: User, stdout=None) -> dict[str, Course]:
    """Patients and IPT courses for the two demo therapists; skips what already exists.

    Returns record number -> course for the courses created in this run (empty when
    everything was already there), for the seeders of the apps built on sessions."""
    created = skipped = 0
    courses: dict[str, Course] = {}
    for owner, caseload in ((therapist, MAIN_CASELOAD), (therapist2, SECOND_CASELOAD)):
        for spec in caseload:
            new, course = _seed_patient(spec, owner)
            if not new:
                skipped += 1
                continue
            created += 1
            if course is not None:
                courses[spec.record_number] = course
    if stdout is not None:
        stdout.write(
            f"Clinical demo: {created} patients created with their IPT courses"
            f"{f', {skipped} already there' if skipped else ''}."
        )
    return courses
