"""The IPT side of the demo for `manage.py seed_demo`: inventories, timelines, formulations.

`demo.clinic.seed_clinical_demo` creates the patients and their courses and returns the new
ones; `seed_inventory_demo` then gives each course an interpersonal inventory and a timeline
and, once session 3 has been held, the formulation agreed with the patient, its primary problem
area (grief, role dispute with its stage history, role transition, and one interpersonal
deficits case with the confirmation that no other area applies), goals, and the focus of each
held middle-phase session (one of them a drift). The course held to its last session gets its
termination review and is completed: sessions cannot complete it without the review.

Every person here is fictional, and the details match the notes `demo.clinic` writes. Dates
are counted in weeks from the course's assessment (its start date), so they move with the
sessions. Idempotent: a course that already has people in its inventory is left alone.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from demo.clinic import MAIN_CASELOAD, SECOND_CASELOAD, DemoCourse
from inventory import services
from inventory.models import (
    Area,
    Goal,
    LifeEvent,
    ProblemArea,
    Relationship,
    SessionFocus,
    TerminationReview,
)
from sessions.models import Course, TherapySession
from sessions.phases import Phase
from sessions.services import course_complete

Ring = Relationship.Ring
Contact = Relationship.Contact
Met = Relationship.Met
Mood = LifeEvent.Mood
Stage = ProblemArea.Stage
S = Goal.Status


@dataclass(frozen=True)
class Person:
    key: str  # how the events and the focus below refer to the person
    name: str
    relation: str
    ring: int
    contact: str
    satisfying: str = ""
    unsatisfying: str = ""
    patient_expectations: str = ""
    other_expectations: str = ""
    met: str = Met.UNKNOWN
    wished_change: str = ""
    changed_around_onset: bool = False
    deceased: bool = False
    noted_at: int = 1  # the session that added them to the inventory (0: the assessment)


@dataclass(frozen=True)
class Event:
    weeks: float  # from the assessment; negative = before it (session n: about 0.6 + n - 1)
    description: str
    mood: str = Mood.NONE
    person: str = ""  # a Person key
    kind: str = LifeEvent.Kind.EVENT


def symptoms(weeks: float, description: str, mood: str = Mood.WORSE, person: str = "") -> Event:
    return Event(weeks, description, mood, person, LifeEvent.Kind.SYMPTOMS)


@dataclass(frozen=True)
class Focus:
    """The formulation (its text is the one the session 3 note quotes) and the primary area."""

    area: str
    rationale: str
    people: tuple[str, ...]  # linked to the formulation
    events: tuple[int, ...]  # indexes into the timeline, linked to the formulation
    goals: tuple[tuple[str, str], ...]  # (goal, status)
    # Middle-phase session number -> the goals it worked on; None: it drifted from the area.
    sessions: dict[int, tuple[int, ...] | None]
    person: str = ""  # the deceased (grief) or the other party (role dispute)
    dated: int | None = None  # weeks from the assessment: the death, or the role change
    details: dict[str, str] = field(default_factory=dict)  # the area's own fields
    stages: tuple[tuple[int, str, str], ...] = ()  # (session number, stage, note)
    no_other_area: bool = False


@dataclass(frozen=True)
class Review:
    feelings_about_ending: str
    ipos_patient: int
    ipos_therapist: int
    relapse_plan: str
    maintenance: str
    plan_if_not_improved: str


@dataclass(frozen=True)
class DemoInventory:
    people: tuple[Person, ...]
    events: tuple[Event, ...]
    focus: Focus | None = None
    review: Review | None = None


DEMOS: dict[str, DemoInventory] = {
    # Eleanor: grief, one session held; the inventory has only just begun.
    "DEMO-0001": DemoInventory(
        people=(
            Person(
                "margaret",
                "Margaret",
                "mother",
                Ring.INNER,
                Contact.NONE,
                satisfying="Spoke every day; the first person Eleanor turned to.",
                unsatisfying="In the last months Margaret would not talk about dying; Eleanor "
                "feels she never said goodbye.",
                changed_around_onset=True,
                deceased=True,
            ),
            Person(
                "keith",
                "Keith",
                "father",
                Ring.INNER,
                Contact.DAILY,
                satisfying="Gentle and dependable; phones every day since the death.",
                unsatisfying="Wants to clear the family home with her, and she cannot face it.",
                patient_expectations="That he would not rush her.",
                other_expectations="That she helps sort the house and comes for Sunday lunch.",
                met=Met.PARTLY,
                changed_around_onset=True,
            ),
            Person(
                "sam",
                "Sam",
                "partner",
                Ring.INNER,
                Contact.DAILY,
                satisfying="Patient; keeps the house running.",
                unsatisfying="Eleanor feels she has shut Sam out.",
            ),
            Person(
                "joanna",
                "Joanna",
                "friend from university",
                Ring.MIDDLE,
                Contact.RARELY,
                satisfying="Easy company; knew Margaret well.",
                unsatisfying="Eleanor has not answered her messages for months.",
                wished_change="To see her again without having to explain.",
                changed_around_onset=True,
            ),
        ),
        events=(
            Event(-48, "Margaret diagnosed with pancreatic cancer", Mood.WORSE, "margaret"),
            Event(
                -31,
                "Margaret died in the hospice, Keith and Eleanor with her",
                Mood.WORSE,
                "margaret",
            ),
            Event(
                -30,
                "Funeral; Eleanor organised most of it and 'held it together'",
                person="margaret",
            ),
            Event(-28, "Back at work after compassionate leave"),
            symptoms(-22, "Low mood most days, early waking, tearful in the evenings"),
            Event(-16, "Stopped meeting Joanna and the book group", Mood.WORSE, "joanna"),
            Event(
                -4,
                "Keith asked again about clearing the house; saw her GP that week",
                Mood.WORSE,
                "keith",
            ),
        ),
    ),
    # Marcus: role dispute with his wife, in renegotiation from the start.
    "DEMO-0002": DemoInventory(
        people=(
            Person(
                "claire",
                "Claire",
                "wife",
                Ring.INNER,
                Contact.DAILY,
                satisfying="Fifteen years together; a good team before the promotion; they "
                "still laugh together on good days.",
                unsatisfying="Rows every week about his hours and the childcare; both feel "
                "unappreciated.",
                patient_expectations="That Claire sees the long hours as temporary and for the "
                "family.",
                other_expectations="That Marcus is home by six three evenings a week and "
                "shares the school run and the weekends.",
                met=Met.NO,
                wished_change="To talk about the week without it ending in a row.",
                changed_around_onset=True,
            ),
            Person(
                "ava",
                "Ava",
                "daughter (8)",
                Ring.INNER,
                Contact.DAILY,
                satisfying="Close; he reads with her at bedtime when he is home.",
                unsatisfying="Misses most bedtimes; she says he is 'always at work'.",
                met=Met.PARTLY,
                wished_change="Be home for bedtime more often.",
            ),
            Person(
                "leo",
                "Leo",
                "son (5)",
                Ring.INNER,
                Contact.DAILY,
                satisfying="Football in the park on Saturdays.",
                met=Met.YES,
            ),
            Person(
                "patricia",
                "Patricia",
                "mother",
                Ring.MIDDLE,
                Contact.WEEKLY,
                satisfying="Looks after the children on Wednesdays.",
                unsatisfying="Takes his side against Claire, which makes things worse.",
                other_expectations="That they visit more often.",
                met=Met.PARTLY,
                noted_at=2,
            ),
            Person(
                "tom",
                "Tom",
                "brother",
                Ring.OUTER,
                Contact.RARELY,
                satisfying="Good times as teenagers.",
                unsatisfying="Drifted apart; they speak at Christmas.",
                noted_at=2,
            ),
            Person(
                "priyanka",
                "Priyanka",
                "line manager",
                Ring.OUTER,
                Contact.DAILY,
                satisfying="Demanding but fair; backed his promotion.",
                unsatisfying="Expects him to answer emails in the evening.",
                patient_expectations="Reasonable hours in return for the extra responsibility.",
                other_expectations="That he is available while the new team settles.",
                met=Met.PARTLY,
                wished_change="Ask about working from home two days a week.",
                changed_around_onset=True,
                noted_at=2,
            ),
        ),
        events=(
            Event(-36, "Promoted to team lead: more pay, longer hours", Mood.BETTER, "priyanka"),
            Event(-32, "Working late most evenings; answering emails at home", person="priyanka"),
            Event(
                -28,
                "First serious rows with Claire about his hours and the school run",
                Mood.WORSE,
                "claire",
            ),
            symptoms(-22, "Low mood and irritability most days; broken sleep"),
            Event(
                -12, "Row with Claire at Ava's birthday party; he left early", Mood.WORSE, "claire"
            ),
            Event(-5, "Saw the GP at Claire's urging; referred for IPT", person="claire"),
            Event(
                5.6,
                "Three-day work trip to Glasgow: missed a session and Leo's assembly",
                Mood.WORSE,
                "priyanka",
            ),
        ),
        focus=Focus(
            area=Area.ROLE_DISPUTE,
            person="claire",
            rationale="The rows with Claire began with the promotion and the low mood "
            "followed them; both still want the marriage. No death, and the promotion itself "
            "is welcome: the trouble is the dispute it set off.",
            people=("claire", "priyanka"),
            events=(0, 2, 3, 4),
            details={
                "dispute_issues": "His hours since the promotion; the school run, bedtimes and "
                "the weekends; who gives up what.",
                "patient_expectations": "That Claire sees the long hours as temporary and gives "
                "him credit for what he does at home.",
                "other_expectations": "That he is home by six three evenings a week and shares "
                "the school run; she went back to work part-time and carries the home alone.",
                "options_weighed": "Ask Priyanka for two days a week at home; a fixed "
                "Sunday-evening talk to plan the week; an after-school club twice a week; going "
                "back to his old role (ruled out: he wants the job).",
            },
            stages=(
                (
                    3,
                    Stage.RENEGOTIATION,
                    "First assessed: they still talk about it, though the talks end in rows.",
                ),
            ),
            goals=(
                (
                    "Understand what each expects of the other about work and the children",
                    S.ACHIEVED,
                ),
                ("Raise a disagreement with Claire without it ending in a row", S.IN_PROGRESS),
                ("Agree a plan with Claire for his hours and the childcare", S.IN_PROGRESS),
                ("An evening a week with Claire, just the two of them", S.OPEN),
            ),
            sessions={4: (0,), 5: (0, 1), 7: (2,)},
        ),
    ),
    # Priya: role transition after a move; not responding; session 6 drifted.
    "DEMO-0003": DemoInventory(
        people=(
            Person(
                "anjali",
                "Anjali",
                "sister",
                Ring.INNER,
                Contact.WEEKLY,
                satisfying="Calls every Sunday; the person Priya tells things to.",
                unsatisfying="Priya hides how low she is so as not to worry her.",
                met=Met.YES,
                wished_change="Be honest with her about how things are.",
                changed_around_onset=True,
            ),
            Person(
                "lakshmi",
                "Lakshmi",
                "mother",
                Ring.INNER,
                Contact.WEEKLY,
                satisfying="Warm; Sunday lunches at home.",
                unsatisfying="Asks when she is coming home and whether she is eating.",
                other_expectations="That Priya comes home most weekends.",
                met=Met.NO,
                changed_around_onset=True,
            ),
            Person(
                "ravi",
                "Ravi",
                "father",
                Ring.INNER,
                Contact.WEEKLY,
                satisfying="Proud of the promotion.",
                unsatisfying="She feels she cannot tell him she is struggling.",
                patient_expectations="To be allowed to find the job hard.",
                other_expectations="That she makes a success of it.",
                met=Met.PARTLY,
                changed_around_onset=True,
            ),
            Person(
                "hannah",
                "Hannah",
                "old friend in Leicester",
                Ring.MIDDLE,
                Contact.MONTHLY,
                satisfying="Friends since school; lived round the corner.",
                unsatisfying="Contact has dropped to the odd message.",
                wished_change="Have her to stay in London.",
                changed_around_onset=True,
            ),
            Person(
                "gareth",
                "Gareth",
                "manager",
                Ring.OUTER,
                Contact.DAILY,
                satisfying="Knows the work well.",
                unsatisfying="Critical, and in front of the team.",
                patient_expectations="Guidance, and feedback given in private.",
                other_expectations="That she runs the team without needing help.",
                met=Met.NO,
                wished_change="Ask for a regular one-to-one.",
                noted_at=2,
            ),
            Person(
                "team",
                "The London team",
                "colleagues",
                Ring.OUTER,
                Contact.DAILY,
                satisfying="Polite and capable.",
                unsatisfying="No one she would have a coffee with yet.",
                noted_at=2,
            ),
        ),
        events=(
            Event(-44, "Offered the promotion to team manager in London", Mood.BETTER),
            Event(-34, "Moved to London, to a flat on her own", Mood.WORSE),
            symptoms(-30, "First low weeks: tired, tearful, oversleeping at weekends"),
            Event(-22, "Stopped going home at weekends", Mood.WORSE, "lakshmi"),
            Event(-14, "Missed Hannah's birthday in Leicester", Mood.WORSE, "hannah"),
            Event(
                5,
                "Gareth criticised her report in front of the team; a weekend alone",
                Mood.WORSE,
                "gareth",
            ),
            symptoms(
                5,
                "Passive thoughts of not waking up on two or three evenings (PHQ-9 "
                "item 9); safety plan at session 6",
            ),
        ),
        focus=Focus(
            area=Area.ROLE_TRANSITION,
            rationale="Mood fell within weeks of the move; almost every close relationship is "
            "now at a distance and nothing has yet been built in London. No death and no open "
            "dispute.",
            people=("anjali", "lakshmi", "hannah", "gareth"),
            events=(1, 2, 3),
            dated=-34,
            details={
                "old_role": "senior analyst in Leicester, close to her family and friends",
                "new_role": "team manager in London, living alone",
                "old_role_good": "Knew everyone; Sunday lunch with her parents; Hannah round "
                "the corner; confident in her work.",
                "old_role_bad": "Felt she had outgrown the job.",
                "new_role_good": "More pay and responsibility; a city she once wanted to live in.",
                "new_role_bad": "Long days, a critical manager, evenings and weekends alone.",
                "losses": "Daily contact with her family and Hannah; feeling good at her job.",
                "skills_needed": "Managing a team; hearing criticism as feedback, not a "
                "verdict; making friends as an adult in a new city.",
                "supports_needed": "A weekly honest call home, visits to Leicester, one group "
                "or colleague in London.",
            },
            goals=(
                ("Mourn the old life: name what was lost with the move", S.IN_PROGRESS),
                ("Talk honestly with Anjali and her parents every week", S.IN_PROGRESS),
                ("Find one regular activity in London with other people", S.OPEN),
                ("Ask Gareth for a regular one-to-one", S.OPEN),
            ),
            sessions={4: (0,), 6: None},
        ),
    ),
    # Graham: role transition into retirement, in the termination phase.
    "DEMO-0004": DemoInventory(
        people=(
            Person(
                "ruth",
                "Ruth",
                "wife",
                Ring.INNER,
                Contact.DAILY,
                satisfying="Married 36 years; kind and practical.",
                unsatisfying="Finds him 'under her feet'; he feels in the way in his own home.",
                patient_expectations="Company through the day.",
                other_expectations="Her own routines and friends kept; that he finds things of "
                "his own.",
                met=Met.PARTLY,
                wished_change="Agree how they share the days.",
                changed_around_onset=True,
            ),
            Person(
                "kate",
                "Kate",
                "daughter",
                Ring.INNER,
                Contact.WEEKLY,
                satisfying="Phones on Sundays; he adores the grandchildren.",
                unsatisfying="Lives in Bristol; visits are rare.",
                met=Met.YES,
                wished_change="Visit Bristol more often.",
            ),
            Person(
                "alan",
                "Alan",
                "former colleague (deputy head)",
                Ring.MIDDLE,
                Contact.NONE,
                satisfying="Thirty years in the same staffroom; shared humour.",
                unsatisfying="No contact since he left; Graham feels forgotten.",
                patient_expectations="That colleagues would keep in touch.",
                met=Met.NO,
                wished_change="Meet for lunch.",
                changed_around_onset=True,
                noted_at=2,
            ),
            Person(
                "walkers",
                "Thursday walking group",
                "walking group",
                Ring.OUTER,
                Contact.RARELY,
                satisfying="Fresh air and easy company.",
                unsatisfying="Stopped going in the autumn.",
                changed_around_onset=True,
                noted_at=2,
            ),
            Person(
                "dennis",
                "Dennis",
                "allotment neighbour",
                Ring.OUTER,
                Contact.WEEKLY,
                satisfying="Swaps seedlings and advice.",
                unsatisfying="They only meet at the allotment, which Graham has neglected.",
                noted_at=2,
            ),
        ),
        events=(
            Event(
                -32,
                "Retired as head of geography after 38 years; leaving do at school",
                person="alan",
            ),
            Event(-24, "First September without school: no reason to get up", Mood.WORSE),
            symptoms(-20, "Low mood and poor sleep; lost interest in walking and the allotment"),
            Event(-16, "Stopped going to the walking group", Mood.WORSE, "walkers"),
            Event(
                -10, "Ruth said he was 'under her feet'; a row about the days", Mood.WORSE, "ruth"
            ),
            Event(-3, "Kate persuaded him to see the GP; referred for IPT", person="kate"),
            Event(6, "Back at the Thursday walking group", Mood.BETTER, "walkers"),
            Event(7, "Started volunteering two mornings a week with a reading scheme", Mood.BETTER),
            Event(8, "Lunch with Alan, the first since leaving", Mood.BETTER, "alan"),
        ),
        focus=Focus(
            area=Area.ROLE_TRANSITION,
            rationale="Symptoms began in the first autumn term he did not go back; the losses "
            "are structure, purpose and daily company. The tension with Ruth follows the change "
            "rather than causing it.",
            people=("ruth", "alan", "walkers"),
            events=(0, 1, 2, 3),
            dated=-32,
            details={
                "old_role": "head of geography at the same school for 38 years",
                "new_role": "retired, at home all day with his wife Ruth",
                "old_role_good": "Structure, respect, colleagues and pupils every day; being "
                "good at something.",
                "old_role_bad": "Marking at weekends; tired by the end of each term.",
                "new_role_good": "Time for walking, the allotment and the grandchildren; no "
                "marking.",
                "new_role_bad": "Empty days; feels useless and in Ruth's way.",
                "losses": "Routine, purpose and the daily company of the staffroom.",
                "skills_needed": "Building a week with structure; asking Ruth what she needs "
                "instead of guessing.",
                "supports_needed": "The walking group, Kate, former colleagues, volunteering.",
            },
            goals=(
                ("Mourn the working life: what it gave and what it cost", S.ACHIEVED),
                ("Build a weekly routine around things he values", S.ACHIEVED),
                ("Go back to the walking group", S.ACHIEVED),
                (
                    "Agree with Ruth how they share the days (was: 'get out of the house every "
                    "day')",
                    S.MODIFIED,
                ),
                ("Find part-time teaching work", S.DROPPED),
            ),
            sessions={4: (0,), 5: (0,), 6: (1, 4), 7: (1, 2), 8: (2, 3), 9: (3,)},
        ),
    ),
    # Nadia: complicated grief; the course the review completes.
    "DEMO-0005": DemoInventory(
        people=(
            Person(
                "tomasz",
                "Tomasz",
                "brother",
                Ring.INNER,
                Contact.NONE,
                satisfying="Two years older; her closest ally growing up; made her laugh.",
                unsatisfying="Guilt: she cancelled a visit the week before he died.",
                wished_change="To remember him without falling apart.",
                changed_around_onset=True,
                deceased=True,
            ),
            Person(
                "ewa",
                "Ewa",
                "mother",
                Ring.INNER,
                Contact.WEEKLY,
                satisfying="Close; cooks for the family on Sundays.",
                unsatisfying="Will not speak of Tomasz and changes the subject.",
                patient_expectations="To talk about him together.",
                other_expectations="That Nadia stays strong for the family.",
                met=Met.NO,
                changed_around_onset=True,
            ),
            Person(
                "andrzej",
                "Andrzej",
                "father",
                Ring.INNER,
                Contact.WEEKLY,
                satisfying="Quiet and steady.",
                unsatisfying="Has buried himself in work since the accident.",
                met=Met.PARTLY,
                changed_around_onset=True,
            ),
            Person(
                "kuba",
                "Kuba",
                "partner",
                Ring.INNER,
                Contact.DAILY,
                satisfying="Loyal and patient; knew Tomasz well.",
                unsatisfying="Afraid to mention Tomasz in case it upsets her.",
                met=Met.PARTLY,
                wished_change="Let him talk about Tomasz too.",
                noted_at=2,
            ),
            Person(
                "ola",
                "Ola",
                "friend",
                Ring.MIDDLE,
                Contact.RARELY,
                satisfying="Friends since secondary school; did the evening course together.",
                unsatisfying="Nadia stopped replying after the funeral.",
                wished_change="Get back in touch.",
                changed_around_onset=True,
                noted_at=2,
            ),
            Person(
                "marta",
                "Marta",
                "colleague",
                Ring.OUTER,
                Contact.DAILY,
                satisfying="Friendly; covered for her after the funeral.",
                noted_at=2,
            ),
        ),
        events=(
            Event(
                -60,
                "Tomasz killed in a road accident on his way home; Nadia took the call",
                Mood.WORSE,
                "tomasz",
            ),
            Event(-59, "Funeral; the family has not spoken of him since", Mood.WORSE, "tomasz"),
            Event(-57, "Back at work after two weeks", person="marta"),
            Event(-52, "Dropped her evening course; stopped replying to Ola", Mood.WORSE, "ola"),
            symptoms(-44, "Low through the summer; poor sleep and nightmares about the accident"),
            Event(-9, "First anniversary of the accident; spent it alone", Mood.WORSE, "tomasz"),
            symptoms(-8, "Worse after the anniversary; started mirtazapine with her GP"),
            Event(7, "Met Ola for coffee, the first time in a year", Mood.BETTER, "ola"),
            Event(8, "Talked about Tomasz at a family meal", Mood.BETTER, "ewa"),
            Event(9, "Visited Tomasz's grave with her parents", Mood.BETTER, "tomasz"),
            Event(10, "Re-enrolled on her evening course", Mood.BETTER),
        ),
        focus=Focus(
            area=Area.GRIEF,
            person="tomasz",
            rationale="The depression began in the months after Tomasz's sudden death and "
            "worsened at the anniversary; Nadia avoids everything that reminds her of him and "
            "the family does not speak of him.",
            people=("tomasz", "ewa", "ola"),
            events=(0, 1, 3, 5),
            dated=-60,
            details={
                "circumstances_of_death": "Killed in a road accident on his way home from "
                "work, aged 30. Nadia took the call from the police and told her parents.",
                "complicating_factors": "A sudden, violent death; guilt at having cancelled a "
                "visit the week before; the family's silence; avoidance of photographs, the "
                "grave and shared friends.",
            },
            goals=(
                ("Talk about Tomasz and the accident without avoiding it", S.ACHIEVED),
                ("Speak about Tomasz with her parents", S.ACHIEVED),
                ("Get back in touch with Ola", S.ACHIEVED),
                ("Return to the evening course", S.ACHIEVED),
                (
                    "Decide with her parents what to keep of Tomasz's things (was: 'clear his "
                    "room')",
                    S.MODIFIED,
                ),
            ),
            sessions={4: (0,), 5: (0,), 6: (0,), 7: (2, 3), 8: (1,), 9: (1, 4)},
        ),
        review=Review(
            feelings_about_ending="Sad to stop and afraid the grief would come back without "
            "the weekly sessions; recognised this ending as a loss she can name and manage, "
            "unlike the last one.",
            ipos_patient=5,
            ipos_therapist=4,
            relapse_plan="Keep talking about Tomasz; plan the next anniversary with her "
            "parents. If the warning signs last more than a week, tell Kuba, Ola or her "
            "mother; see the GP if low mood lasts two weeks. Plan copied to the GP.",
            maintenance=TerminationReview.Maintenance.NONE,
            plan_if_not_improved="If symptoms return: GP review of the mirtazapine and "
            "re-referral for IPT; a booster session can be requested meanwhile.",
        ),
    ),
    # Jonah: planned course; a first inventory from the assessment only.
    "DEMO-0006": DemoInventory(
        people=(
            Person(
                "denise",
                "Denise",
                "mother",
                Ring.INNER,
                Contact.WEEKLY,
                satisfying="Phones on Sundays; the one person he tells how he is.",
                unsatisfying="Worries aloud; he ends the calls quickly.",
                noted_at=0,
            ),
            Person(
                "carl",
                "Carl",
                "older brother",
                Ring.MIDDLE,
                Contact.RARELY,
                satisfying="Shared football as boys.",
                unsatisfying="Busy with his own family; little to say to each other.",
                noted_at=0,
            ),
            Person(
                "sunil",
                "Sunil",
                "school friend",
                Ring.OUTER,
                Contact.NONE,
                satisfying="His best friend at school.",
                unsatisfying="Lost touch when Sunil left for university.",
                noted_at=0,
            ),
            Person(
                "gamers",
                "Online gaming group",
                "online friends",
                Ring.OUTER,
                Contact.WEEKLY,
                satisfying="Easy company without having to meet.",
                unsatisfying="Never met in person; he logs on less and less.",
                noted_at=0,
            ),
        ),
        events=(
            Event(
                -360,
                "Lost touch with Sunil and most school friends after sixth form",
                Mood.WORSE,
                "sunil",
            ),
            symptoms(-260, "First long spell of low mood; on and off since"),
            symptoms(-12, "Lower over the winter; logging on less, sleeping late", person="gamers"),
            Event(-3, "Denise urged him to see the GP; referred for IPT", person="denise"),
        ),
    ),
    # Sofia: role dispute with her sister, from impasse to renegotiation.
    "DEMO-0008": DemoInventory(
        people=(
            Person(
                "giulia",
                "Giulia",
                "sister",
                Ring.INNER,
                Contact.NONE,
                satisfying="Close all their lives; they share the memories of their mother.",
                unsatisfying="No contact since the row at Easter; each feels left to cope.",
                patient_expectations="That Giulia shares the visits and the paperwork, and "
                "that they decide about a home together.",
                other_expectations="That Sofia accepts a care home now instead of wearing "
                "herself out.",
                met=Met.NO,
                wished_change="To talk without it becoming a row.",
                changed_around_onset=True,
            ),
            Person(
                "enzo",
                "Enzo",
                "father",
                Ring.INNER,
                Contact.DAILY,
                satisfying="Loving; still knows her and enjoys her visits.",
                unsatisfying="The dementia is worse; confused in the evenings; she worries "
                "constantly.",
                other_expectations="That she comes every day.",
                met=Met.PARTLY,
                changed_around_onset=True,
            ),
            Person(
                "mark",
                "Mark",
                "husband",
                Ring.INNER,
                Contact.DAILY,
                satisfying="Supportive; does the school run when she is at her father's.",
                unsatisfying="Tired of her being out every evening.",
                met=Met.PARTLY,
                noted_at=2,
            ),
            Person(
                "luca",
                "Luca",
                "son (11)",
                Ring.INNER,
                Contact.DAILY,
                satisfying="Chatty and affectionate.",
                unsatisfying="She snaps at him when she is tired.",
                wished_change="Be less irritable at home.",
                noted_at=2,
            ),
            Person(
                "chiara",
                "Chiara",
                "daughter (7)",
                Ring.INNER,
                Contact.DAILY,
                satisfying="Loves visiting her grandfather.",
                met=Met.YES,
                noted_at=2,
            ),
            Person(
                "rosa",
                "Rosa",
                "friend",
                Ring.MIDDLE,
                Contact.MONTHLY,
                satisfying="Listens without judging.",
                unsatisfying="Sofia keeps cancelling their walks.",
                noted_at=2,
            ),
        ),
        events=(
            Event(-52, "Enzo diagnosed with dementia", Mood.WORSE, "enzo"),
            Event(
                -40,
                "Giulia started a new job; most of the caring fell to Sofia",
                Mood.WORSE,
                "giulia",
            ),
            Event(
                -8,
                "Enzo found wandering at night; the memory nurse raised a care home",
                Mood.WORSE,
                "enzo",
            ),
            Event(
                -6,
                "Row with Giulia at Easter lunch about a care home; no contact since",
                Mood.WORSE,
                "giulia",
            ),
            symptoms(-4, "Low mood, guilt and broken sleep; irritable with the children"),
            Event(
                4,
                "Phoned Giulia about their father; it ended in a row, but they are talking",
                person="giulia",
            ),
        ),
        focus=Focus(
            area=Area.ROLE_DISPUTE,
            person="giulia",
            rationale="Mood fell after the row with Giulia; it is the care of their father, "
            "not his illness itself, that they cannot agree on. Each expects the other to do "
            "more and neither has said so calmly.",
            people=("giulia", "enzo"),
            events=(1, 2, 3),
            details={
                "dispute_issues": "Who looks after their father and whether he should move "
                "into a home.",
                "patient_expectations": "That Giulia shares the visits and the paperwork, and "
                "that the decision about a home is made together.",
                "other_expectations": "As Sofia understands it: that a home is the right thing "
                "now, and that Sofia refuses out of guilt.",
            },
            stages=(
                (
                    3,
                    Stage.IMPASSE,
                    "First assessed: no contact since the row at Easter; each "
                    "waits for the other to call.",
                ),
                (
                    5,
                    Stage.RENEGOTIATION,
                    "Sofia phoned Giulia about their father's care; it "
                    "ended in a row, but they are talking about it again.",
                ),
            ),
            goals=(
                (
                    "Understand what each expects of the other about their father's care",
                    S.IN_PROGRESS,
                ),
                ("Re-open contact with Giulia", S.ACHIEVED),
                ("Agree with Giulia a fair share of the caring and a plan for a home", S.OPEN),
                ("Ask Mark and Rosa for help instead of coping alone", S.OPEN),
            ),
            sessions={4: (0,), 5: (0, 1)},
        ),
    ),
    # Daniel: role transition after a divorce; still in the initial phase.
    "DEMO-0009": DemoInventory(
        people=(
            Person(
                "kwame",
                "Kwame",
                "son (14)",
                Ring.INNER,
                Contact.WEEKLY,
                satisfying="Football on Saturdays; talks to him about school.",
                unsatisfying="Quieter since the separation; on his phone during visits.",
                changed_around_onset=True,
            ),
            Person(
                "kofi",
                "Kofi",
                "son (11)",
                Ring.INNER,
                Contact.WEEKLY,
                satisfying="Affectionate; loves cooking with him.",
                unsatisfying="Asks when Daniel is coming home.",
                changed_around_onset=True,
            ),
            Person(
                "abena",
                "Abena",
                "former wife",
                Ring.MIDDLE,
                Contact.WEEKLY,
                satisfying="Civil about the boys.",
                unsatisfying="They talk only about arrangements; he still feels the loss.",
                met=Met.PARTLY,
                changed_around_onset=True,
            ),
            Person(
                "joe",
                "Joe",
                "friend",
                Ring.MIDDLE,
                Contact.RARELY,
                satisfying="Friends for twenty years; five-a-side together.",
                unsatisfying="Daniel stopped going; Joe's messages go unanswered.",
                wished_change="Get back to five-a-side.",
                changed_around_onset=True,
                noted_at=2,
            ),
            Person(
                "efua",
                "Efua",
                "sister (Manchester)",
                Ring.MIDDLE,
                Contact.MONTHLY,
                satisfying="Warm and practical; has offered to visit.",
                unsatisfying="Far away; he plays things down on the phone.",
                noted_at=2,
            ),
        ),
        events=(
            Event(-34, "Separated from Abena after a year of growing apart", Mood.WORSE, "abena"),
            Event(-26, "Moved out into a rented flat on his own", Mood.WORSE),
            symptoms(-20, "Low mood and poor sleep; drinking more in the evenings"),
            Event(-16, "Stopped five-a-side and stopped answering Joe", Mood.WORSE, "joe"),
            Event(-6, "Divorce final", Mood.WORSE, "abena"),
            Event(-2, "Kofi asked why he always looks sad; saw the GP that week", person="kofi"),
        ),
    ),
    # Rowan: interpersonal deficits, confirmed after the inventory and timeline.
    "DEMO-0010": DemoInventory(
        people=(
            Person(
                "linda",
                "Linda",
                "mother",
                Ring.INNER,
                Contact.WEEKLY,
                satisfying="Phones every Sunday; kind.",
                unsatisfying="He stopped answering this winter; feels he worries her.",
                met=Met.PARTLY,
                wished_change="Call her back, and visit more.",
            ),
            Person(
                "jean",
                "Jean",
                "aunt",
                Ring.MIDDLE,
                Contact.MONTHLY,
                satisfying="The relative he finds easiest; they share a dry humour.",
                unsatisfying="He only sees her at family birthdays.",
                wished_change="Visit her on his own.",
            ),
            Person(
                "geoff",
                "Geoff",
                "father",
                Ring.OUTER,
                Contact.RARELY,
                satisfying="Cards at birthdays.",
                unsatisfying="Left when Rowan was eleven; never close since.",
                patient_expectations="That his father would make the effort.",
                met=Met.NO,
                noted_at=2,
            ),
            Person(
                "dev",
                "Dev",
                "old school friend",
                Ring.OUTER,
                Contact.NONE,
                satisfying="Best friend in his teens; easy together.",
                unsatisfying="Lost touch after Dev moved to Leeds three years ago.",
                wished_change="Get back in touch.",
                noted_at=2,
            ),
            Person(
                "hollie",
                "Hollie",
                "colleague",
                Ring.OUTER,
                Contact.DAILY,
                satisfying="Friendly; asks him to join the lunch table.",
                unsatisfying="He says no and stays at his desk.",
                wished_change="Say yes sometimes.",
                noted_at=2,
            ),
        ),
        events=(
            Event(
                -1150,
                "Parents divorced; changed schools the next year and lost his friends",
                Mood.WORSE,
                "geoff",
            ),
            Event(
                -650,
                "Left university in the second year; lost touch with friends there",
                Mood.WORSE,
            ),
            symptoms(-600, "First long spell of low mood; low spells most winters since"),
            Event(-156, "Dev moved to Leeds; their last contact", Mood.WORSE, "dev"),
            symptoms(
                -14, "Lower this winter; stopped answering his mother's calls", person="linda"
            ),
            Event(-3, "Linda came round, worried; saw his GP and was referred", person="linda"),
            Event(
                5, "Messaged Dev, the first time in three years; a warm reply", Mood.BETTER, "dev"
            ),
        ),
        focus=Focus(
            area=Area.INTERPERSONAL_DEFICITS,
            no_other_area=True,
            rationale="No one in the inventory has died, no relationship changed around the "
            "onset and the timeline shows no dispute or recent life change: a long pattern of "
            "few, unsatisfying relationships and withdrawal when low.",
            people=("linda", "dev", "hollie"),
            events=(0, 1, 3, 4),
            details={
                "isolation_history": "Few friends since changing schools at twelve; lost the "
                "university friends when he left; lives alone with a desk job and little "
                "contact. Dev, the last close friend, moved away three years ago.",
                "relationships_to_develop": "Revive the friendship with Dev; lunch with Hollie "
                "and the team; see Aunt Jean on his own; call his mother back.",
                "skills_to_practise": "Starting a conversation and keeping it going; making "
                "and accepting invitations; saying what he would like instead of waiting to "
                "be asked.",
                "plan_if_no_response": "If the PHQ-9 has not fallen by a quarter at session "
                "8: GP review for an antidepressant; consider group IPT after the course.",
            },
            goals=(
                ("Contact one person outside work each week", S.IN_PROGRESS),
                ("Revive the friendship with Dev", S.IN_PROGRESS),
                ("Accept or make one invitation a week", S.IN_PROGRESS),
                ("Join a group activity with other people", S.OPEN),
            ),
            sessions={4: (0,), 5: (2,), 6: (1, 2)},
        ),
    ),
}


# --- Writing it -----------------------------------------------------------------------------


def _course_spec(record_number: str) -> DemoCourse | None:
    for spec in (*MAIN_CASELOAD, *SECOND_CASELOAD):
        if spec.record_number == record_number:
            return spec.course
    return None


class _Course:
    """A course being seeded: its held sessions and the clinic's calendar."""

    def __init__(self, course: Course):
        self.course = course
        self.zone = course.patient.clinic.zone
        self.held = {s.number: s for s in course.sessions.held().select_related("course")}
        self.therapist = course.therapist

    def day(self, number: int) -> date:
        return timezone.localtime(self.held[number].scheduled_start, self.zone).date()

    def at(self, number: int) -> datetime:
        """Twenty minutes into session `number`, or the assessment when it was not held."""
        session = self.held.get(number)
        if session is None:
            return self.course.created_at
        return session.scheduled_start + timedelta(minutes=20)

    def last_day(self) -> date:
        return self.day(max(self.held)) if self.held else self.course.start_date

    def recorded(self, on: date) -> datetime:
        """When an event of day `on` went on the timeline: drawn at session 2 for the past,
        then at the first session after the event."""
        after = [n for n in sorted(self.held) if n >= 2 and self.day(n) >= on]
        if after:
            return self.at(after[0])
        return self.at(max(self.held, default=0))


def _inventory(c: _Course, plan: DemoInventory) -> tuple[dict, list]:
    people = {}
    for p in plan.people:
        people[p.key] = services.relationship_save(
            by=c.therapist,
            relationship=Relationship(
                course=c.course,
                name=p.name,
                relation=p.relation,
                ring=p.ring,
                contact=p.contact,
                satisfying=p.satisfying,
                unsatisfying=p.unsatisfying,
                patient_expectations=p.patient_expectations,
                other_expectations=p.other_expectations,
                expectations_met=p.met,
                wished_change=p.wished_change,
                changed_around_onset=p.changed_around_onset,
                deceased=p.deceased,
                created_at=c.at(p.noted_at),
            ),
        )
    # The timeline is drawn at session 2; later events are added as they happen (and only
    # once they have happened in this run's calendar).
    events: list[LifeEvent | None] = []
    for e in plan.events:
        on = c.course.start_date + timedelta(weeks=e.weeks)
        if on > c.last_day():
            events.append(None)
            continue
        events.append(
            services.life_event_save(
                by=c.therapist,
                event=LifeEvent(
                    course=c.course,
                    occurred_on=on,
                    kind=e.kind,
                    description=e.description,
                    mood_effect=e.mood,
                    relationship=people.get(e.person),
                    created_at=c.recorded(on),
                ),
            )
        )
    return people, events


def _focus(c: _Course, spec: DemoCourse, focus: Focus, people: dict, events: list) -> None:
    course, by = c.course, c.therapist
    primary: dict = {"area": focus.area}
    if focus.area == Area.GRIEF:
        primary["deceased"] = people[focus.person]
    elif focus.area == Area.ROLE_DISPUTE:
        primary["other_party"] = people[focus.person]
    services.formulation_save(
        by=by,
        course=course,
        text=spec.formulation,
        rationale=focus.rationale,
        agreed_on=c.day(3),
        no_other_area_confirmed=focus.no_other_area,
        linked_people=[people[key] for key in focus.people],
        linked_events=[events[i] for i in focus.events if events[i] is not None],
        primary=primary,
        secondary=None,
    )
    area = ProblemArea.objects.get(course=course, rank=ProblemArea.Rank.PRIMARY)
    ProblemArea.objects.filter(pk=area.pk).update(created_at=c.at(3))
    details = dict(focus.details)
    if focus.dated is not None:
        dated = course.start_date + timedelta(weeks=focus.dated)
        details["date_of_death" if focus.area == Area.GRIEF else "transition_date"] = dated
    # The stage is not set here: problem_area_update would date the first stage today.
    services.problem_area_update(by=by, problem_area=area, fields=details)
    for number, stage, note in focus.stages:
        if number in c.held:
            services.dispute_stage_change(
                by=by,
                problem_area=area,
                stage=stage,
                changed_on=c.day(number),
                note=note,
            )
    goals = [
        services.goal_save(
            by=by,
            goal=Goal(problem_area=area, text=text, status=status, created_at=c.at(3)),
        )
        for text, status in focus.goals
    ]
    for number, worked_on in focus.sessions.items():
        session = c.held.get(number)
        if session is None or session.phase != Phase.MIDDLE:
            continue
        _session_focus(
            c, session, None if worked_on is None else area, [goals[i] for i in worked_on or ()]
        )


def _session_focus(c: _Course, session: TherapySession, area, goals: list[Goal]) -> None:
    kind = SessionFocus.Kind.AREA if area else SessionFocus.Kind.DRIFT
    if not session.is_signed:
        services.session_focus_save(
            by=c.therapist, session=session, kind=kind, problem_area=area, goals=goals
        )
        return
    # The focus is recorded before a note is signed, and the service refuses a signed session;
    # demo.clinic has already signed these, so the row is written as it would have been.
    focus = SessionFocus.objects.create(session=session, kind=kind, problem_area=area)
    focus.goals.set(goals)


def _complete(c: _Course, spec: DemoCourse, review: Review) -> None:
    last = max(c.held)
    ended_on = c.day(last)
    start, end = spec.phq9[0], spec.phq9[max(spec.phq9)]
    services.termination_review_save(
        by=c.therapist,
        review=TerminationReview(
            course=c.course,
            gains_reviewed=f"PHQ-9 {start} at the start, {end} at the end. {spec.gains}",
            feelings_about_ending=review.feelings_about_ending,
            ipos_patient=review.ipos_patient,
            ipos_therapist=review.ipos_therapist,
            warning_symptoms=spec.warning_signs,
            relapse_plan=review.relapse_plan,
            maintenance=review.maintenance,
            plan_if_not_improved=review.plan_if_not_improved,
            reviewed_on=ended_on,
        ),
    )
    course_complete(by=c.therapist, course=c.course, ended_on=ended_on)


def _seed_course(record_number: str, course: Course) -> tuple[bool, bool]:
    """Fill one course of DEMOS: (whether it got a formulation, whether it was completed)."""
    plan, spec = DEMOS[record_number], _course_spec(record_number)
    c = _Course(course)
    people, events = _inventory(c, plan)
    formulated = plan.focus is not None and 3 in c.held
    if formulated:
        _focus(c, spec, plan.focus, people, events)
    completed = (
        plan.review is not None and spec.completed and not course.sessions.upcoming().exists()
    )
    if completed:
        _complete(c, spec, plan.review)
    return formulated, completed


def seed_inventory_demo(*, courses: dict[str, Course], stdout=None) -> None:
    """Inventory, timeline and focus for the courses `seed_clinical_demo` just created.

    `courses` maps record number -> course; a course without a demo plan, or whose inventory
    already has people, is skipped.
    """
    filled = formulated = completed = 0
    for record_number, course in courses.items():
        if record_number not in DEMOS:
            continue
        course.refresh_from_db()
        if course.relationships.exists():
            continue
        has_focus, done = _seed_course(record_number, course)
        filled += 1
        formulated += has_focus
        completed += done
    if stdout is not None:
        stdout.write(
            f"Inventory demo: {filled} inventories and timelines, {formulated} formulations "
            f"with their problem areas, {completed} course{'s' if completed != 1 else ''} "
            "completed after the termination review."
        )
