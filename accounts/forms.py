from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import email_taken


def language_choices():
    return [("", _("Browser default")), *settings.LANGUAGES]


class EmailUniqueMixin:
    """Reject an email address that another account has, ignoring case."""

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if email_taken(email, exclude=self.instance):
            raise forms.ValidationError(
                _("A user with that email address already exists."), code="unique"
            )
        return email


class RegistrationForm(EmailUniqueMixin, auth_forms.BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["username", "email", "full_name"]


class LoginForm(auth_forms.AuthenticationForm):
    username = auth_forms.UsernameField(
        label=_("Username or email"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class ProfileForm(EmailUniqueMixin, forms.ModelForm):
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=language_choices,
        required=False,
        help_text=_(
            "Pages switch to it when you save and each time you log in. Browser default "
            "follows the language set in your browser."
        ),
    )

    class Meta:
        model = User
        fields = ["full_name", "email", "preferred_language"]
