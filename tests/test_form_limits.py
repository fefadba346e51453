"""A number field's browser limits are the server's (#16: the session length offered values
the server then refused): min and max come from the model field's validators."""

import pytest

from ipt_clinic.accounts.models import Clinic
from oversight.clinic.forms import ClinicSettingsForm, FlagThresholdsForm
from oversight.models import FlagThresholds
from patients.models import Patient
from sessions.forms import CourseOpenForm


def course_form():
    return CourseOpenForm(patient=Patient(clinic=Clinic(timezone="Europe/London")))


def clinic_form():
    return ClinicSettingsForm(instance=Clinic())


def thresholds_form():
    return FlagThresholdsForm(instance=FlagThresholds())


# (the form, the field, the lowest and highest the server accepts)
LIMITS = [
    (course_form, "session_minutes", 15, 120),
    (clinic_form, "default_session_minutes", 15, 120),
    (clinic_form, "reminder_lead_hours", 1, 168),
    (clinic_form, "second_reminder_lead_hours", 0, 48),
    (clinic_form, "session_idle_minutes", 5, 15),
    (clinic_form, "phq9_every_sessions", 1, 4),
    (clinic_form, "gad7_every_sessions", 1, 4),
    (thresholds_form, "problem_area_by_session", 2, 8),
    (thresholds_form, "termination_raised_before_end", 1, 4),
]


@pytest.mark.parametrize(("make", "name", "lowest", "highest"), LIMITS)
def test_the_browser_is_offered_what_the_server_accepts(db, make, name, lowest, highest):
    form = make()
    html = str(form[name])
    assert f'min="{lowest}"' in html and f'max="{highest}"' in html, html
