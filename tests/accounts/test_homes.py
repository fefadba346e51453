from django.urls import reverse


def test_home_sends_each_role_to_its_page(client_for, therapist, supervisor, clinic_admin):
    assert client_for(therapist).get("/").url == reverse("therapist_home")
    assert client_for(supervisor).get("/").url == reverse("supervisor_home")
    assert client_for(clinic_admin).get("/").url == reverse("clinic_admin_home")


def test_supervisor_home_lists_current_supervisees(client_for, supervisor, therapist, colleague):
    html = client_for(supervisor).get(reverse("supervisor_home")).content.decode()
    assert therapist.full_name in html
    assert colleague.full_name not in html


def test_therapist_home_names_the_supervisor(client_for, supervisor, therapist):
    html = client_for(therapist).get(reverse("therapist_home")).content.decode()
    assert supervisor.full_name in html


def test_clinic_admin_sees_own_staff_only(client_for, clinic_admin, therapist, other_therapist):
    html = client_for(clinic_admin).get(reverse("clinic_admin_home")).content.decode()
    assert therapist.email in html
    assert other_therapist.email not in html


def test_navigation_follows_roles(client_for, therapist, clinic_admin):
    therapist_html = client_for(therapist).get(reverse("therapist_home")).content.decode()
    assert reverse("therapist_home") in therapist_html
    assert reverse("clinic_admin_home") not in therapist_html
    admin_html = client_for(clinic_admin).get(reverse("clinic_admin_home")).content.decode()
    assert reverse("therapist_home") not in admin_html


def test_home_page_queries_do_not_grow_with_staff(
    client_for, clinic_admin, clinic, django_assert_max_num_queries
):
    from tests.conftest import make_user

    client = client_for(clinic_admin)
    client.get(reverse("clinic_admin_home"))
    for i in range(30):
        make_user(f"staff{i}@clinic.test", clinic, is_therapist=True)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("clinic_admin_home")).status_code == 200


def test_healthz_answers_without_sign_in(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
