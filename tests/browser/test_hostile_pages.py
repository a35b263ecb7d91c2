"""The hostile corpus (tests/test_hostile_input.py) in a real browser: nothing it holds
runs, asks to run, or loads anything.

Comments, display names, report and appeal texts, an article and search queries carry the
corpus, and variants of it that set `window.__pwned` instead of calling alert(). Chromium
then loads the article page (anonymous and signed in, replying to a hostile name and
posting a hostile comment in place, which the page's script inserts with innerHTML), the
profile page, the search page and the moderators' queues. On every page:

- no dialog opened (alert, confirm, prompt);
- `window.__pwned` is not set;
- no console error at all, in particular no Content-Security-Policy report: the payloads
  must be escaped, not merely blocked by the policy;
- every request goes to the live server (or is a data: URL), and none asks for the
  payloads' own addresses (`x`, `//evil`).
"""

import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from comments import services as comment_services
from comments.models import Comment
from moderation.models import Appeal, Report

from ..factories import PASSWORD, ArticleFactory, UserFactory, comment, moderator
from ..test_hostile_input import CORPUS

pytestmark = pytest.mark.django_db(transaction=True)

SMALL = [text for name, text in CORPUS if name not in ("long-word", "one-megabyte")]
PWNED = [
    text.replace("alert(1)", "window.__pwned=1")
    for text in SMALL
    if "alert(1)" in text and "base64" not in text
]
PAYLOADS = [
    *SMALL,
    *PWNED,
    '<img src=x onerror="window.__pwned=1">',
    "<svg onload=\"window.__pwned=1\"><animate onbegin='window.__pwned=1'/></svg>",
    '<a href="javascript:window.__pwned=1" id=pwn>нажми</a>',
    '<input autofocus onfocus="window.__pwned=1">',
    "<details open ontoggle=window.__pwned=1>",
    "</textarea><script>window.__pwned=1</script>",
    "</title><script>window.__pwned=1</script>",
    '<script type="application/ld+json">{}</script><script>window.__pwned=1</script>',
    "data:text/html,<script>window.__pwned=1</script>",
]


def storable(text, limit=None):
    """Text as the ORM can store it on every database (PostgreSQL refuses NUL)."""
    text = text.replace("\x00", "")
    return text[:limit] if limit else text


class Watch:
    """What a page does that it should not: dialogs, requests off the site, errors."""

    def __init__(self, page, origin):
        self.page = page
        self.origin = origin
        self.dialogs = []
        self.requests = []
        page.on("dialog", self.on_dialog)
        page.on("request", lambda request: self.requests.append(request.url))

    def on_dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def check(self, where):
        page = self.page
        assert self.dialogs == [], where
        assert page.evaluate("window.__pwned") is None, where
        assert not [e for e in page.js_errors if "Content Security Policy" in e], where
        assert page.js_errors == [], where
        assert [url for url in self.requests if self.stray(url)] == [], where

    def stray(self, url):
        if url.startswith("data:"):
            return False
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return True
        # The payloads' own targets (<img src=x>, <iframe src=//evil>) resolved on the site.
        return bool(re.search(r"/x$|evil", parts.path))


def log_in(page, live_server, user):
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))


@pytest.fixture
def hostile_site():
    """An article, and a discussion under it, made of the corpus."""
    article = ArticleFactory(
        title=storable(PAYLOADS[1], 200),
        lead=storable(" ".join(PAYLOADS[:12]), 600),
        body=storable("\n\n".join(PAYLOADS)),
        cover_caption=storable(PAYLOADS[0], 250),
    )
    readers = [
        UserFactory(username=f"hostile{number}", display_name=storable(text, 60))
        for number, text in enumerate(PAYLOADS)
    ]
    threads = [comment(article, author=readers[0], body="Начало обсуждения.")]
    threads.append(comment(article, author=readers[1], body="Второй тред."))
    comments = []
    for number, (reader, text) in enumerate(zip(readers, PAYLOADS, strict=True)):
        # Through the service, as readers post: normalized and stored as they would be.
        new, _created = comment_services.post_comment(
            reader,
            article,
            storable(text) or "пусто",
            parent_id=threads[number % 2].pk,
            submission_token=uuid.uuid4(),
        )
        comments.append(new)
    return article, readers, comments


def test_the_article_page(live_server, page, hostile_site):
    article, _readers, comments = hostile_site
    watch = Watch(page, live_server.url)

    page.goto(live_server.url + article.get_absolute_url())
    expect(page.locator(".comment").first).to_be_visible()
    watch.check("the article page, anonymous")

    reader = UserFactory(username="Наблюдатель")
    log_in(page, live_server, reader)
    page.goto(live_server.url + article.get_absolute_url())
    watch.check("the article page, signed in")

    # Replying to a hostile name: the script writes it into the form's label.
    target = next(c for c in comments if c.author.display_name.startswith("<img"))
    page.locator(f"#comment-{target.pk} .comment__reply").click()
    expect(page.locator("[data-replying-text]")).to_contain_text("<img")
    watch.check("replying to a hostile name")

    # Posting in place: the server's HTML goes into the page through innerHTML.
    for text in ['<img src=x onerror="window.__pwned=1">', "<svg onload=window.__pwned=1>"]:
        page.fill("textarea[name=body]", text)
        page.get_by_role("button", name="Отправить").click()
        expect(page.locator(".comment--own", has_text=text)).to_be_visible()
    watch.check("comments posted in place")
    assert Comment.objects.filter(author=reader).count() == 2


def test_the_profile_page(live_server, page, hostile_site):
    _article, readers, _comments = hostile_site
    watch = Watch(page, live_server.url)

    for reader in readers[:: max(1, len(readers) // 8)]:
        page.goto(live_server.url + reader.get_absolute_url())
        expect(page.locator(".profile__name")).to_be_visible()
    watch.check("profile pages")


def test_the_search_page(live_server, page, hostile_site):
    watch = Watch(page, live_server.url)

    for text in PAYLOADS:
        page.goto(live_server.url + "/search/", wait_until="load")
        page.fill("#search-page-q", storable(text, 200))
        page.locator(".search-page__form button[type=submit]").click()
        page.wait_for_load_state("load")
    watch.check("search results")


def test_the_moderation_queues(live_server, page, hostile_site):
    _article, readers, comments = hostile_site
    for reader, target, text in zip(readers, comments[1:], PAYLOADS, strict=False):
        Report.objects.create(
            comment=target, reporter=reader, reason="other", text=storable(text, 500)
        )
    for target, text in zip(comments[:6], PAYLOADS, strict=False):
        Comment.objects.filter(pk=target.pk).update(
            status=Comment.Status.HIDDEN, moderation_reason=storable(text, 300)
        )
        Appeal.objects.create(comment=target, author=target.author, text=storable(text, 1000))
    watch = Watch(page, live_server.url)

    log_in(page, live_server, moderator(username="Модератор"))
    for queue in ("reports", "pending", "hidden", "appeals"):
        page.goto(f"{live_server.url}/moderation/?queue={queue}")
        expect(page.locator("h1")).to_be_visible()
    page.goto(f"{live_server.url}/moderation/comments/{comments[0].pk}/")
    page.goto(f"{live_server.url}/moderation/comments/{comments[0].pk}/appeal/")
    watch.check("the moderators' pages")
