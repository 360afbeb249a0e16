// Texts of the Django admin's date and time pickers that Django 5.2's Uzbek
// catalogue lacks or spells with an ASCII apostrophe. They come from
// django/contrib/admin/static/admin/js/calendar.js and from
// admin/DateTimeShortcuts.js in the same folder. calendar.js also provides
// the day and short month names that the pickers write into a field whose
// input format has %a, %A or %b.
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
];
