"""How the comments' times read on a page: "5 минут назад" or "2 сентября 2024, 11:30".

Django's naturaltime and date filter look up the language, the format and the time zone
and walk the format string on every call, some tens of microseconds each; a page with
thousands of comments would spend most of its time there. Comments share hours, minutes
and days, so a page works each wording out once and reuses it, with the same output.
"""

from datetime import timedelta

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import dateformat, timezone
from django.utils.formats import date_format, get_format

# Past this age a comment shows its date instead of "5 минут назад".
RELATIVE_FOR = timedelta(hours=12)

# Format characters that depend only on the calendar day, and the ones for the time of
# day we can put in with str.format (as Django's DateFormat writes them). A format with
# any other character (AM/PM, time zone names...) is formatted by Django every time.
_DAY_CHARACTERS = frozenset("bdDEFjlLmMnNoStwWyYz")
_TIME_FIELDS = {"H": "{0.hour:02d}", "G": "{0.hour}", "i": "{0.minute:02d}", "s": "{0.second:02d}"}


class PageTimes:
    """Times as one page shows them: now, the reader's time zone and language fixed."""

    def __init__(self, now=None):
        self.now = now or timezone.now()
        self.zone = timezone.get_current_timezone()
        self._relative = {}
        self._day_formats = {}
        self._exact = {}
        self._format = get_format("DATETIME_FORMAT")
        self._day_format_possible = all(
            character in _DAY_CHARACTERS or character in _TIME_FIELDS
            for character in dateformat.re_formatchars.findall(self._format)
        )

    def local(self, moment):
        """timezone.localtime(moment), without looking the zone up again."""
        return moment.astimezone(self.zone)

    def words(self, local_moment):
        """'5 минут назад' within RELATIVE_FOR, else the date and time (DATETIME_FORMAT)."""
        age = self.now - local_moment
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
                text = self._relative[key] = naturaltime(local_moment)
            return text
        return self.date_time(local_moment)

    def date_time(self, local_moment):
        """date_format(local_moment, "DATETIME_FORMAT"), the day's part worked out once."""
        if not self._day_format_possible:
            key = local_moment.replace(second=0, microsecond=0)
            text = self._exact.get(key)
            if text is None:
                text = self._exact[key] = date_format(local_moment, "DATETIME_FORMAT")
            return text
        day = local_moment.date()
        pattern = self._day_formats.get(day)
        if pattern is None:
            pattern = self._day_formats[day] = self._day_pattern(local_moment)
        return pattern.format(local_moment)

    def _day_pattern(self, local_moment):
        """The format for one day as a str.format pattern: the day's names and numbers
        written in, the time of day left as fields."""
        pieces = []
        for index, piece in enumerate(dateformat.re_formatchars.split(self._format)):
            if index % 2:
                if piece in _TIME_FIELDS:
                    pieces.append(_TIME_FIELDS[piece])
                else:
                    pieces.append(_braces_escaped(dateformat.format(local_moment, piece)))
            elif piece:
                pieces.append(_braces_escaped(dateformat.re_escaped.sub(r"\1", piece)))
        return "".join(pieces)


def _braces_escaped(text):
    return str(text).replace("{", "{{").replace("}", "}}")
