// Texts of the Django admin's date and time pickers and action confirmations
// that Django 5.2's Uzbek catalogue lacks or spells with an ASCII
// apostrophe. They come from django/contrib/admin/static/admin/js/calendar.js
// and from admin/DateTimeShortcuts.js and admin/actions.js in the same
// folder. calendar.js also provides the day and short month names that the
// pickers write into a field whose input format has %a, %A or %b.
//
// This file is the browser-side twin of library_messages.py. Listing a text
// here makes `makemessages -d djangojs` copy it into locale/, and the
// admin's /admin/jsi18n/ merges the catalogues of LOCALE_PATHS over Django's
// own, so Labsite's translation is the one shown. No page loads this file.
// Each msgid and context must equal Django's, character for character.
// The entries with a context use pgettext, because makemessages has no
// JavaScript keyword for a no-op with a context.

const LIBRARY_MESSAGES = [
    gettext_noop("Sunday"),
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    pgettext("abbrev. day Sunday", "Sun"),
    pgettext("abbrev. day Monday", "Mon"),
    pgettext("abbrev. day Tuesday", "Tue"),
    pgettext("abbrev. day Wednesday", "Wed"),
    pgettext("abbrev. day Thursday", "Thur"),
    pgettext("abbrev. day Friday", "Fri"),
    pgettext("abbrev. day Saturday", "Sat"),
    pgettext("abbrev. month January", "Jan"),
    pgettext("abbrev. month February", "Feb"),
    pgettext("abbrev. month March", "Mar"),
    pgettext("abbrev. month April", "Apr"),
    pgettext("abbrev. month May", "May"),
    pgettext("abbrev. month June", "Jun"),
    pgettext("abbrev. month July", "Jul"),
    pgettext("abbrev. month August", "Aug"),
    pgettext("abbrev. month September", "Sep"),
    pgettext("abbrev. month October", "Oct"),
    pgettext("abbrev. month November", "Nov"),
    pgettext("abbrev. month December", "Dec"),
    // Django's Uzbek is "Kun o'rtasi", with an ASCII apostrophe.
    gettext_noop("Noon"),
    // admin/js/actions.js shows these in a confirm() dialog before it runs an
    // action on a changelist with list_editable fields. Django's Uzbek lacks the last
    // two and writes the first with ASCII apostrophes.
    gettext_noop("You have unsaved changes on individual editable fields. If you run an action, your unsaved changes will be lost."),
    gettext_noop("You have selected an action, but you haven’t saved your changes to individual fields yet. Please click OK to save. You’ll need to re-run the action."),
    gettext_noop("You have selected an action, and you haven’t made any changes on individual fields. You’re probably looking for the Go button rather than the Save button."),
];
