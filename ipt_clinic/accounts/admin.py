"""Django's admin: for the operator of the installation (superusers) only."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm

from .models import AuditEvent, Clinic, Supervision, User


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "default_session_minutes", "reminder_lead_hours"]
    search_fields = ["name"]
    # The clinic's admins set these in the app (clinic settings): free text, a member of
    # staff of that clinic only, and a schedule whose change recomputes the caseload flags.
    exclude = ["crisis_lines", "duty_clinician", "phq9_every_sessions", "gad7_every_sessions"]


class StaffCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "clinic"]


class StaffChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = StaffChangeForm
    add_form = StaffCreationForm
    ordering = ["clinic__name", "full_name"]
    list_display = ["email", "full_name", "clinic", "role_list", "is_active"]
    list_filter = ["clinic", "is_active", "is_therapist", "is_supervisor", "is_clinic_admin"]
    search_fields = ["email", "full_name"]
    list_select_related = ["clinic"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "clinic"]}),
        ("Roles", {"fields": ["is_therapist", "is_supervisor", "is_clinic_admin"]}),
        ("Status", {"fields": ["is_active", "is_superuser", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "clinic", "password1", "password2"],
            },
        )
    ]
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = []

    @admin.display(description="roles")
    def role_list(self, obj: User) -> str:
        return ", ".join(obj.role_names) or "-"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # staff are deactivated, never deleted: the audit trail names them


@admin.register(Supervision)
class SupervisionAdmin(admin.ModelAdmin):
    list_display = ["supervisor", "therapist", "starts_on", "ends_on"]
    list_select_related = ["supervisor", "therapist"]
    raw_id_fields = ["supervisor", "therapist"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "clinic", "action", "object_type", "object_id", "outcome"]
    list_filter = ["action", "outcome", "clinic"]
    list_select_related = ["user", "clinic"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
