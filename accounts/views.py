import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import services
from accounts.forms import LoginForm, ProfileForm, RegistrationForm


def remember_language(response, language):
    """Set the language cookie that LocaleMiddleware reads; "" deletes it (browser default)."""
    if not language:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # A user without a preference keeps the language chosen on this browser.
        if form.get_user().preferred_language:
            remember_language(response, form.get_user().preferred_language)
        return response


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            _("Your password was changed. Your other sessions have been signed out."),
        )
        return response


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("home")

    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.register_user(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            full_name=form.cleaned_data["full_name"],
        )
        login(request, user, backend="accounts.backends.UsernameOrEmailBackend")
        messages.success(
            request, _("Welcome to Labsite, %(name)s.") % {"name": user.get_full_name()}
        )
        return redirect("home")

    return render(request, "accounts/register.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        # A whole-page reload, also for HTMX, shows the message and a new language.
        if request.htmx:
            response = HttpResponseClientRedirect(reverse("accounts:profile"))
        else:
            response = redirect("accounts:profile")
        # Only a changed preference touches the cookie, so saving a new name
        # keeps the language picked in the page header.
        if "preferred_language" in form.changed_data:
            remember_language(response, form.cleaned_data["preferred_language"])
        return response

    template = "accounts/profile.html#profile-form" if request.htmx else "accounts/profile.html"
    return render(request, template, {"form": form})


@require_POST
def set_language(request):
    """Switch the interface language of this browser, and save it on a signed-in user's profile.

    Django's own view sets the language cookie and redirects to "next". The
    saved preference is what LoginView applies on the user's other browsers.
    """
    response = i18n.set_language(request)

    language = request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER, "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.set_preferred_language(user=request.user, language=language)
    return response


def locked_out(request, response=None, credentials=None):
    """Tell a client that too many failed logins locked it out, and until when.

    Axes calls this for a login from a locked-out username or IP address. Every
    further failed try restarts the cool-off, so the wait counts from now.
    """
    cool_off = get_cool_off(request)
    retry_after = math.ceil(cool_off.total_seconds())
    minutes = math.ceil(retry_after / 60)
    message = _("Too many failed logins. Try again in %(minutes)d minutes, at %(time)s.") % {
        "minutes": minutes,
        "time": timezone.localtime(timezone.now() + cool_off).strftime("%H:%M"),
    }
    if request.path.startswith("/api/"):
        result = JsonResponse(
            {"detail": message, "code": "locked_out", "retry_after": retry_after},
            status=429,
        )
    else:
        result = render(request, "accounts/locked_out.html", {"message": message}, status=429)
    result["Retry-After"] = str(retry_after)
    return result
