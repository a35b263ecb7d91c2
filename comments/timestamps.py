"""How the comments' times read on a page: "5 минут назад" or "2 сентября 2024, 11:30".

Django's naturaltime and date filter look up the language, the format and the time zone
and walk the format string on every call, some tens of microseconds each; a page with
thousands of comments would spend most of its time there. Comments share hours, minutes
and days, so a page works each wording out once and reuses it, with the same output.
"""

import operator
from datetime import timedelta
from html import escape

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import dateformat, timezone
from django.utils.formats import date_format, get_format

# Past this age a comment shows its date instead of "5 минут назад".
RELATIVE_FOR = timedelta(hours=12)

# Format characters that depend only on the calendar day, and the ones for the time of
# day we fill in with %-formatting (as Django's DateFormat writes them). A format with any
# other character (AM/PM, time zone names...) is formatted by Django every time.
_DAY_CHARACTERS = frozenset("bdDEFjlLmMnNoStwWyYz")
_TIME_FIELDS = {"H": ("hour", "%02d"), "G": ("hour", "%d"), "i": ("minute", "%02d")}
_TIME_FIELDS["s"] = ("second", "%02d")


def _unchanged(text):
    return text


class PageTimes:
    """Times as one page shows them: now, the reader's time zone and language fixed.
    html=True: every text comes HTML-escaped (escaped once, where it is worked out)."""

    def __init__(self, now=None, html=False):
        self.now = now or timezone.now()
        self.zone = timezone.get_current_timezone()
        self._escape = escape if html else _unchanged
        self._relative = {}
        self._days = {}
        self._exact = {}
        self._format = get_format("DATETIME_FORMAT")
        characters = dateformat.re_formatchars.findall(self._format)
        self._by_day = all(c in _DAY_CHARACTERS or c in _TIME_FIELDS for c in characters)
        if self._by_day:
            fields = [_TIME_FIELDS[c][0] for c in characters if c in _TIME_FIELDS]
            # The time of day as a tuple for %-formatting, by one C call.
            self._time_of_day = (
                operator.attrgetter(*fields) if len(fields) > 1 else _as_tuple(fields)
            )

    def local(self, moment):
        """timezone.localtime(moment), without looking the zone up again."""
        return moment.astimezone(self.zone)

    def words(self, moment, local_moment=None):
        """'5 минут назад' within RELATIVE_FOR, else the date and time (DATETIME_FORMAT).
        local_moment: the same moment in the reader's zone, if the caller has it already."""
        # In the moment's own zone (UTC from the database): no zone arithmetic.
        age = self.now - moment
        if age < RELATIVE_FOR:
            seconds = int(age.total_seconds())
            # naturaltime says seconds, then minutes, then hours: one wording per bucket.
            if seconds < 60:
                key = seconds
            elif seconds < 3600:
                key = ("minutes", seconds // 60)
            else:
                key = ("hours", seconds // 3600)
            text = self._relative.get(key)
            if text is None:
                text = self._relative[key] = self._escape(naturaltime(moment))
            return text
        return self.date_time(local_moment or self.local(moment))

    def date_time(self, local_moment):
        """date_format(local_moment, "DATETIME_FORMAT"), the day's part worked out once."""
        if not self._by_day:
            key = local_moment.replace(second=0, microsecond=0)
            text = self._exact.get(key)
            if text is None:
                text = date_format(local_moment, "DATETIME_FORMAT")
                text = self._exact[key] = self._escape(text)
            return text
        day = local_moment.date()
        pattern = self._days.get(day)
        if pattern is None:
            pattern = self._days[day] = self._day_pattern(local_moment)
        return pattern % self._time_of_day(local_moment)

    def _day_pattern(self, local_moment):
        """The format for one day as a %-pattern: the day's names and numbers written in
        (escaped if need be), the time of day left as fields."""
        pieces = []
        for index, piece in enumerate(dateformat.re_formatchars.split(self._format)):
            if index % 2:
                if piece in _TIME_FIELDS:
                    pieces.append(_TIME_FIELDS[piece][1])
                else:
                    pieces.append(self._literal(dateformat.format(local_moment, piece)))
            elif piece:
                pieces.append(self._literal(dateformat.re_escaped.sub(r"\1", piece)))
        return "".join(pieces)

    def _literal(self, text):
        return self._escape(str(text)).replace("%", "%%")


def _as_tuple(fields):
    """attrgetter gives a tuple for two names or more; this, for one or none."""
    names = tuple(fields)
    return lambda moment: tuple(getattr(moment, name) for name in names)
