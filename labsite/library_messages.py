"""Messages of Django, REST framework and Simple JWT that Labsite shows to people.

Django 5.2's Uzbek catalogues leave many of these untranslated or write oʻ
and gʻ with an ASCII apostrophe, and REST framework 3.18 and Simple JWT 5.5
ship no Uzbek catalogue at all. Listing a message here makes makemessages
copy it into locale/, and the catalogues of LOCALE_PATHS take precedence
over those of installed apps, so Labsite's translation is the one shown.
Nothing imports this module. Each msgid must equal the library's own,
character for character, so the apostrophes of Django's "didn't" and
"can't" are U+2019 here too.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

MESSAGES = [
    # REST framework: rest_framework/exceptions.py
    gettext_noop("A server error occurred."),
    gettext_noop("Invalid input."),
    gettext_noop("Malformed request."),
    gettext_noop("Incorrect authentication credentials."),
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("You do not have permission to perform this action."),
    gettext_noop("Not found."),
    gettext_noop('Method "{method}" not allowed.'),
    gettext_noop("Could not satisfy the request Accept header."),
    gettext_noop('Unsupported media type "{media_type}" in request.'),
    gettext_noop("Request was throttled."),
    gettext_noop("Expected available in {wait} second."),
    gettext_noop("Expected available in {wait} seconds."),
    # REST framework: rest_framework/fields.py, serializers.py, pagination.py
    gettext_noop("This field is required."),
    gettext_noop("This field may not be null."),
    gettext_noop("This field may not be blank."),
    gettext_noop("Not a valid string."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Ensure this field has at least {min_length} characters."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("A valid integer is required."),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop("Invalid page."),
    # Simple JWT: rest_framework_simplejwt/authentication.py, tokens.py, exceptions.py
    gettext_noop("Authorization header must contain two space-delimited values"),
    gettext_noop("Given token not valid for any token type"),
    gettext_noop("Token contained no recognizable user identification"),
    gettext_noop("User not found"),
    gettext_noop("User is inactive"),
    gettext_noop("Token is expired"),
    gettext_noop("Token is invalid"),
    gettext_noop("Token is invalid or expired"),
    gettext_noop("Token has wrong type"),
    # Django: forms and the auth forms and validators of the account pages
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Password"),
    gettext_noop("Password confirmation"),
    gettext_noop("Enter the same password as before, for verification."),
    gettext_noop("The two password fields didn’t match."),  # noqa: RUF001
    gettext_noop(
        "Please enter a correct %(username)s and password. Note that both fields may be "
        "case-sensitive."
    ),
    gettext_noop("This account is inactive."),
    gettext_noop("Old password"),
    gettext_noop("New password"),
    gettext_noop("New password confirmation"),
    gettext_noop("Your old password was entered incorrectly. Please enter it again."),
    gettext_noop(
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ "
        "characters."
    ),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("Your password can’t be too similar to your other personal information."),  # noqa: RUF001
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be a commonly used password."),  # noqa: RUF001
    gettext_noop("This password is entirely numeric."),
    gettext_noop("Your password can’t be entirely numeric."),  # noqa: RUF001
    # Django admin: the texts of its pages and messages that Django 5.2 has
    # no Uzbek for, leaving out password reset, which Labsite does not offer.
    gettext_noop("Added {name} “{object}”."),
    gettext_noop("Added."),
    gettext_noop("Changed {fields} for {name} “{object}”."),
    gettext_noop("Changed {fields}."),
    gettext_noop("Deleted {name} “{object}”."),
    gettext_noop("No fields changed."),
    gettext_noop("Hold down “Control”, or “Command” on a Mac, to select more than one."),
    gettext_noop("Select this object for an action - {}"),
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("You may edit it again below."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was added successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    gettext_noop(
        "Items must be selected in order to perform actions on them. No items have been changed."
    ),
    gettext_noop("No action selected."),
    gettext_noop(
        "%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?"  # noqa: RUF001
    ),
    gettext_noop("0 of %(cnt)s selected"),
    gettext_noop("Change history: %s"),
    gettext_noop("Site administration"),
    gettext_noop("%(app)s administration"),
    gettext_noop("Page not found"),
    gettext_noop("We’re sorry, but the requested page could not be found."),  # noqa: RUF001
    gettext_noop("Go"),
    gettext_noop("Click here to select the objects across all pages"),
    gettext_noop("Select all %(total_count)s %(module_name)s"),
    gettext_noop("Clear selection"),
    gettext_noop("Breadcrumbs"),
    gettext_noop("Models in the %(name)s application"),
    gettext_noop("You don’t have permission to view or edit anything."),  # noqa: RUF001
    gettext_noop("Skip to main content"),
    gettext_noop("History"),
    gettext_noop("Hide counts"),
    gettext_noop("Show counts"),
    gettext_noop("Clear all filters"),
    gettext_noop("Sorting priority: %(priority_number)s"),
    gettext_noop("Toggle sorting"),
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    gettext_noop(
        "Deleting the %(object_name)s '%(escaped_object)s' would result in deleting related "
        "objects, but your account doesn't have permission to delete the following types of "
        "objects:"
    ),
    gettext_noop(
        "Deleting the %(object_name)s '%(escaped_object)s' would require deleting the "
        "following protected related objects:"
    ),
    gettext_noop(
        'Are you sure you want to delete the %(object_name)s "%(escaped_object)s"? All of the '
        "following related items will be deleted:"
    ),
    gettext_noop("Objects"),
    gettext_noop("Yes, I’m sure"),  # noqa: RUF001
    gettext_noop("No, take me back"),
    gettext_noop("Delete multiple objects"),
    gettext_noop(
        "Deleting the selected %(objects_name)s would result in deleting related objects, but "
        "your account doesn't have permission to delete the following types of objects:"
    ),
    gettext_noop(
        "Deleting the selected %(objects_name)s would require deleting the following protected "
        "related objects:"
    ),
    gettext_noop(
        "Are you sure you want to delete the selected %(objects_name)s? All of the following "
        "objects and their related items will be deleted:"
    ),
    gettext_noop(" By %(filter_title)s "),
    gettext_noop("None available"),
    gettext_noop("Added:"),
    gettext_noop("Changed:"),
    gettext_noop("Deleted:"),
    gettext_noop("Unknown content"),
    gettext_noop("Sidebar"),
    gettext_noop("Start typing to filter…"),
    gettext_noop("Filter navigation items"),
    gettext_noop("Date/time"),
    gettext_noop("User"),
    gettext_noop("Action"),
    gettext_noop(
        "This object doesn’t have a change history. It probably wasn’t added via this admin "  # noqa: RUF001
        "site."
    ),
    gettext_noop("Show all"),
    gettext_noop("%(full_result_count)s total"),
    gettext_noop("Save as new"),
    gettext_noop("Save and add another"),
    gettext_noop("Save and continue editing"),
    gettext_noop("Save and view"),
    gettext_noop("Close"),
    gettext_noop("Change selected %(model)s"),
    gettext_noop("Add another %(model)s"),
    gettext_noop("Delete selected %(model)s"),
    gettext_noop("View selected %(model)s"),
    gettext_noop("Password change"),
    gettext_noop("Your password was changed."),
    gettext_noop(
        "Please enter your old password, for security’s sake, and then enter your new password "  # noqa: RUF001
        "twice so we can verify you typed it in correctly."
    ),
    gettext_noop("Change my password"),
    gettext_noop("Select all objects on this page for an action"),
    gettext_noop("Select %s to change"),
    gettext_noop("Select %s to view"),
    # Django admin: texts whose Uzbek in Django 5.2 has an ASCII apostrophe
    # or puts the suffix in the wrong place.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Add %s"),
    gettext_noop("Change %s"),
    gettext_noop("View %s"),
    gettext_noop("Add %(name)s"),
    gettext_noop("Delete selected %(verbose_name_plural)s"),
    gettext_noop("Add"),
    gettext_noop("View"),
    gettext_noop("No"),
    gettext_noop("Unknown"),
    gettext_noop("View site"),
    gettext_noop("Recent actions"),
    gettext_noop("Filter"),
    gettext_noop("Run the selected action"),
    # Django auth: the user change form and the admin index
    gettext_noop("Authentication and Authorization"),
    gettext_noop("Permissions"),
    gettext_noop("group"),
    gettext_noop("groups"),
    gettext_noop("permission"),
    gettext_noop("permissions"),
    gettext_noop("name"),
    gettext_noop("last login"),
    gettext_noop("superuser status"),
    gettext_noop(
        "Designates that this user has all permissions without explicitly assigning them."
    ),
    gettext_noop(
        "The groups this user belongs to. A user will get all permissions granted to each of "
        "their groups."
    ),
    gettext_noop("user permissions"),
    gettext_noop("Specific permissions for this user."),
    gettext_noop(
        "Raw passwords are not stored, so there is no way to see the user’s password."  # noqa: RUF001
    ),
    gettext_noop("Reset password"),
    gettext_noop("Set password"),
    gettext_noop("algorithm"),
    gettext_noop("iterations"),
    gettext_noop("salt"),
    gettext_noop("hash"),
    # django-axes 8.3: the login records that admins see
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("IP Address"),
    gettext_noop("User Agent"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Logout Time"),
    gettext_noop("Failed Logins"),
]

PLURAL_MESSAGES = [
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "count",
    ),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "count",
    ),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "%(count)s %(name)s was changed successfully.",
        "%(count)s %(name)s were changed successfully.",
        "count",
    ),
    ngettext_lazy(
        "%(total_count)s selected",
        "All %(total_count)s selected",
        "count",
    ),
    ngettext_lazy(
        "Please correct the error below.",
        "Please correct the errors below.",
        "count",
    ),
    ngettext_lazy(
        "entry",
        "entries",
        "count",
    ),
    ngettext_lazy(
        "%(counter)s result",
        "%(counter)s results",
        "count",
    ),
]
