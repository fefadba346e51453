from django.urls import reverse


def test_a_button_url_opened_in_the_browser_explains_itself(client_for, therapist, patient):
    response = client_for(therapist).get(reverse("patients:archive", args=[patient.pk]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    html = response.content.decode()
    assert "only from its page's button" in html
    assert "nothing was done" in html
    assert "no-store" in response["Cache-Control"]
    patient.refresh_from_db()
    assert not patient.is_archived


def test_a_refusal_is_logged_in_one_line_without_its_traceback():
    import logging
    import sys

    from django.core.exceptions import PermissionDenied

    from ipt_clinic.log_filters import RefusalsWithoutTraceback

    def record_of(error):
        try:
            raise error
        except Exception:
            return logging.LogRecord(
                "django.request", logging.WARNING, __file__, 1, "Forbidden: %s", ("/x/",),
                sys.exc_info(),
            )  # fmt: skip

    refused, failed = record_of(PermissionDenied()), record_of(ValueError("bug"))
    assert RefusalsWithoutTraceback().filter(refused) and RefusalsWithoutTraceback().filter(failed)
    assert refused.exc_info is None and refused.getMessage() == "Forbidden: /x/"
    assert failed.exc_info is not None  # real errors keep theirs
