"""The sign-up form: an invitee's (or, with OPEN_SIGNUP, anyone's) username, email and password,
checked by Django's AUTH_PASSWORD_VALIDATORS. The account itself is made by accounts.services."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from .services import email_domain_allowed


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=True, help_text="For password resets.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def __init__(self, *args, allowed_domains: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed_domains = list(allowed_domains)
        if self.allowed_domains:
            self.fields["email"].help_text = "An address at " + " or ".join(self.allowed_domains) + "."

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if not email_domain_allowed(email, self.allowed_domains):
            raise forms.ValidationError("This invitation is for addresses at " + " or ".join(self.allowed_domains) + ".")
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address exists already: sign in, or reset its password.")
        return email
