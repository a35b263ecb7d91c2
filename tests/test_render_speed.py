"""The fast drawing of discussions: what it must keep while it saves time.

The discussion is drawn in Python (comments.rendering) from light rows (comments.rows),
with the wording of times worked out once per page (comments.timestamps). These tests pin
what those shortcuts must not change: the same words as Django's own filters, the same
markup, the same queries whatever the size, and the shape that keeps copies down.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.formats import date_format

from comments import discussion
from comments.models import Comment
from comments.rows import COMMENT_COLUMNS, CommentRow
from comments.timestamps import RELATIVE_FOR, PageTimes

from .factories import ArticleFactory, UserFactory, comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return ArticleFactory(title="Тарифы на тепло пересмотрят")


def moments_over_years():
    """Moments spread over years, days, hours and minutes, across Almaty's 2024 change of
    UTC offset, with and without microseconds."""
    start = datetime(2023, 12, 31, 17, 59, 59, tzinfo=UTC)
    return [start + timedelta(hours=7 * n + 0.37 * n * n, microseconds=n % 3) for n in range(400)]


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_dates_read_as_djangos_date_format(language):
    with translation.override(language):
        times = PageTimes()
        for moment in moments_over_years():
            local = timezone.localtime(moment)
            assert times.date_time(local) == date_format(local, "DATETIME_FORMAT")
            if moment < times.now - RELATIVE_FOR:
                assert times.words(moment) == date_format(local, "DATETIME_FORMAT")


def test_a_format_with_other_characters_is_left_to_django(settings):
    settings.FORMAT_MODULE_PATH = None
    settings.DATETIME_FORMAT = r"D, j N Y, P \\a\t {s}"  # names of day parts, a backslash
    with translation.override(None):
        times = PageTimes()
        for moment in moments_over_years()[:50]:
            local = timezone.localtime(moment)
            assert times.date_time(local) == date_format(local, "DATETIME_FORMAT")


def test_braces_and_percent_signs_in_a_format_are_kept(settings):
    settings.FORMAT_MODULE_PATH = None
    settings.DATETIME_FORMAT = r"{j} 100\% E Y, H:i:s"
    with translation.override(None):
        times = PageTimes()
        for moment in moments_over_years()[:50]:
            local = timezone.localtime(moment)
            assert times.date_time(local) == date_format(local, "DATETIME_FORMAT")


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_recent_times_read_as_naturaltime(language):
    now = timezone.now()
    with translation.override(language):
        times = PageTimes(now=now)
        # Mid-bucket ages, so the few milliseconds between the two clocks do not matter.
        for seconds in [5, 30, 59.5, *(m * 60 + 30 for m in range(1, 60, 7))]:
            moment = now - timedelta(seconds=seconds)
            assert times.words(moment) == naturaltime(moment)
        for hours in range(1, 12):
            moment = now - timedelta(hours=hours, minutes=30)
            assert times.words(moment) == naturaltime(moment)
        old = now - RELATIVE_FOR - timedelta(minutes=1)
        assert times.words(old) == date_format(timezone.localtime(old), "DATETIME_FORMAT")


def test_html_times_are_escaped_where_they_are_worked_out(settings):
    settings.FORMAT_MODULE_PATH = None
    settings.DATETIME_FORMAT = r"j <\b>E</\b> Y & H:i"
    with translation.override(None):
        moment = datetime(2024, 9, 2, 6, 30, tzinfo=UTC)
        local = timezone.localtime(moment)
        assert PageTimes(html=True).date_time(
            local
        ) == "2 <b>September</b> 2024 &amp; 11:30".replace("<b>", "&lt;b&gt;").replace(
            "</b>", "&lt;/b&gt;"
        )


def test_comment_rows_fill_every_column_in_order():
    row = CommentRow(tuple(range(len(COMMENT_COLUMNS))), author=None)
    assert [getattr(row, name) for name in COMMENT_COLUMNS] == list(range(len(COMMENT_COLUMNS)))


def test_the_discussion_template_is_one_node():
    """A second node (even a newline after the tag) makes Django join and copy the whole
    discussion again; see comments.rendering.DiscussionSection."""
    nodes = get_template("comments/_discussion.html").template.nodelist
    assert len(nodes) == 1


def test_the_comments_sit_inside_the_list_as_before(client, article):
    first = comment(article, body="Первый")
    page = client.get(article.get_absolute_url()).content.decode()
    opening = f'<article class="comment comment--indent-0" id="comment-{first.pk}"'
    assert f'data-sort="newest">\n    {opening}' in page
    assert "</article>\n  </div>" in page


def test_an_empty_discussion_says_so_in_place(client, article):
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'data-sort="newest">\n    \n      <p class="discussion__empty" data-empty>' in page


@pytest.mark.parametrize("count", [5, 120])
def test_a_page_with_every_thread_costs_the_same_queries(
    client, article, monkeypatch, django_assert_num_queries, count
):
    """The bench's setting: every thread on one page, read by article, not by a list of ids."""
    monkeypatch.setattr(discussion, "THREADS_PER_PAGE", 10**9)
    authors = UserFactory.create_batch(4)
    parent = None
    for n in range(count):
        parent = comment(article, author=authors[n % 4], parent=parent if n % 3 else None)
    client.get(article.get_absolute_url())  # warm the navigation and latest-comments caches
    # The article, this sort's threads, the comments with their authors (the counts above
    # the list are kept from the first draw).
    with django_assert_num_queries(3):
        page = client.get(f"{article.get_absolute_url()}?csort=oldest").content.decode()
    assert page.count('<article class="comment') == count


def test_a_page_with_every_thread_leaves_out_threads_not_shown(client, article, monkeypatch):
    monkeypatch.setattr(discussion, "THREADS_PER_PAGE", 10**9)
    shown = comment(article)
    gone = comment(article, status=Comment.Status.DELETED)
    waiting = comment(article, status=Comment.Status.PENDING)
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'id="comment-{shown.pk}"' in page
    assert f'id="comment-{gone.pk}"' not in page
    assert f'id="comment-{waiting.pk}"' not in page
