"""Django's admin is the operator's: it registers no clinical model and shows no free text."""

from django.contrib import admin
from django.db import models
from django.test import RequestFactory

CLINICAL_APPS = {"patients", "therapy_sessions", "risk", "inventory", "caseload"}
# Third-party models whose text columns hold no clinical content: django-axes keeps the query
# string and form fields of failed sign-ins (the password masked), for unlocking accounts.
NON_CLINICAL_TEXT = {("axes", "accessattempt", "get_data"), ("axes", "accessattempt", "post_data")}


def _shown_fields(model_admin, request) -> set[str]:
    shown = set(model_admin.get_fields(request))
    shown |= set(model_admin.get_readonly_fields(request))
    shown |= {name for name in model_admin.get_list_display(request) if isinstance(name, str)}
    for _, options in model_admin.get_fieldsets(request):
        for entry in options.get("fields", ()):
            shown |= set(entry) if isinstance(entry, list | tuple) else {entry}
    return shown


def test_no_clinical_model_is_registered_in_the_operator_admin():
    registered = {model._meta.app_label for model in admin.site._registry}
    assert not registered & CLINICAL_APPS, registered & CLINICAL_APPS


def test_no_text_field_is_shown_or_editable_in_the_operator_admin(operator):
    request = RequestFactory().get("/admin/")
    request.user = operator
    for model, model_admin in admin.site._registry.items():
        shown = _shown_fields(model_admin, request)
        for field in model._meta.get_fields():
            if not isinstance(field, models.TextField):
                continue
            key = (model._meta.app_label, model._meta.model_name, field.name)
            if key in NON_CLINICAL_TEXT:
                continue
            assert field.name not in shown, f"{model._meta.label}.{field.name} is in the admin"


def test_the_operator_admin_pages_open_for_the_operator(operator, client_for, clinic_admin):
    from django.urls import reverse

    client = client_for(operator)
    for model in admin.site._registry:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(url).status_code == 200, url
    user_page = reverse("admin:accounts_user_change", args=[clinic_admin.pk])
    assert client.get(user_page).status_code == 200
