"""Forms that sit on one page and post to a handler of their own (a supervision note on the
course page, a private note on the session page, a goal on a problem area...): rejected, they
show their page again with the user's input and the error beside the field. Nothing typed is
lost, nothing is saved."""

import pytest
from django.urls import reverse

from inventory.models import Goal, ProblemArea, Relationship
from oversight.models import NoteReview, SupervisionNote
from sessions import services as session_services
from sessions.models import PrivateNote
from tests.conftest import attend


@pytest.fixture
def signed(course, therapist):
    session = course.sessions.get(number=1)
    attend(session)
    actor = therapist
    session_services.session_note_save(by=actor, session=session, fields={"progress_note": "Note."})
    session_services.session_sign(by=actor, session=session)
    return session


@pytest.fixture
def dispute(course):
    partner = Relationship.objects.create(course=course, name="Sam", relation="husband", ring=1)
    return ProblemArea.objects.create(course=course, area="role_dispute", other_party=partner)


def test_a_too_long_supervision_note_comes_back_on_the_course_page(client_for, supervisor, course):
    text = "KEEP-THIS-NOTE " + "x" * 10_000
    response = client_for(supervisor).post(
        reverse("caseload:note_add", args=[course.pk]), {"text": text}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "KEEP-THIS-NOTE" in html
    assert "at most 10000 characters" in html
    assert course.patient.family_name in html  # the course page itself
    assert not SupervisionNote.objects.exists()


def test_a_review_asking_for_revision_without_a_comment_keeps_the_choice(
    client_for, supervisor, signed
):
    response = client_for(supervisor).post(
        reverse("caseload:note_review", args=[signed.pk]),
        {"status": "needs_revision", "comment": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say what needs revising" in html
    assert '<option value="needs_revision" selected>' in html
    assert not NoteReview.objects.exists()


def test_a_too_long_private_note_comes_back_on_the_session_page(
    client_for, therapist, first_session
):
    text = "KEEP-PRIVATE " + "p" * 20_000
    response = client_for(therapist).post(
        reverse("sessions:session_private_note", args=[first_session.pk]), {"text": text}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "KEEP-PRIVATE" in html
    assert "at most 20000 characters" in html
    assert not PrivateNote.objects.exists()


def test_a_stage_change_with_a_bad_date_keeps_its_note(client_for, therapist, dispute):
    response = client_for(therapist).post(
        reverse("inventory:dispute_stage", args=[dispute.pk]),
        {"stage": "impasse", "changed_on": "2026-02-30", "note": "KEEP-STAGE-NOTE"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid date" in html
    assert 'value="KEEP-STAGE-NOTE"' in html
    dispute.refresh_from_db()
    assert dispute.stage != "impasse"


def test_a_too_long_goal_keeps_its_text(client_for, therapist, dispute):
    text = "KEEP-GOAL " + "g" * 300
    response = client_for(therapist).post(
        reverse("inventory:goal_add", args=[dispute.pk]), {"text": text, "status": "open"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "KEEP-GOAL" in html
    assert "at most 300 characters" in html
    assert not Goal.objects.exists()


def test_an_unknown_goal_status_is_refused_beside_the_goal(client_for, therapist, dispute):
    goal = Goal.objects.create(problem_area=dispute, text="Talk with Sam weekly")
    response = client_for(therapist).post(
        reverse("inventory:goal_update", args=[goal.pk]), {f"g{goal.pk}-status": "nonsense"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    goal.refresh_from_db()
    assert goal.status == "open"


def test_the_page_shown_again_is_audited_as_a_view(client_for, supervisor, course):
    from ipt_clinic.accounts.models import AuditEvent

    client_for(supervisor).post(reverse("caseload:note_add", args=[course.pk]), {"text": ""})
    assert AuditEvent.objects.filter(
        user=supervisor, action="view", patient_id=course.patient_id
    ).exists()


def test_after_a_rejected_goal_the_area_form_still_posts_to_the_area(
    client_for, therapist, dispute
):
    response = client_for(therapist).post(
        reverse("inventory:goal_add", args=[dispute.pk]), {"text": "", "status": "open"}
    )
    assert response.status_code == 400
    area_url = reverse("inventory:problem_area", args=[dispute.pk])
    assert f'action="{area_url}"' in response.content.decode()
