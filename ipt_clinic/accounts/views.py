"""Sign-in, sign-out and password pages: Django's views with our templates and audit events."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from .audit import Action, audit_record
from .forms import EmailAuthenticationForm


class SignInView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True
    template_name = "registration/login.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(action=Action.PASSWORD_CHANGE, request=self.request)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(action=Action.PASSWORD_RESET, request=self.request, user=form.user)
        return response
