"""The translation catalogues: complete, consistent, compiled, and used by the pages.

Russian and Kazakh must translate every message: an untranslated Kazakh message falls
back to Russian, an untranslated Russian one shows the English source to every reader.
English is the language of the source strings, so an empty English msgstr means "the
same as the msgid" (that is how the English catalogue is kept); it still may not be fuzzy,
and a message whose source is not English text must be translated. Set STRICT_ENGLISH to
demand a written-out msgstr for every English entry too.
"""

import functools
import gettext
import html
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import django
import pytest
from django.conf import settings
from django.utils import timezone, translation

from tests.factories import ArticleFactory, CategoryFactory, UserFactory, comment

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
# Kazakh for django-allauth's and Django's own messages, which they lack (kept by hand).
VENDOR_LOCALE_DIR = Path(settings.BASE_DIR) / "vendor_locale"
LANGUAGES = ("ru", "kk", "en")
# Every catalogue we keep: (folder, language).
CATALOGUES = [
    *((LOCALE_DIR, language) for language in LANGUAGES),
    (VENDOR_LOCALE_DIR, "kk"),
]
CATALOGUE_IDS = [f"{folder.name}/{language}" for folder, language in CATALOGUES]
STRICT_ENGLISH = False

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0\- +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[A-Za-z]")


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str | None = None
    msgid_plural: str | None = None
    msgstr: dict = field(default_factory=dict)
    flags: set = field(default_factory=set)

    @property
    def key(self):
        return (self.msgctxt, self.msgid)

    @property
    def is_header(self):
        return self.msgid == "" and self.msgctxt is None

    @property
    def fuzzy(self):
        return "fuzzy" in self.flags

    @property
    def untranslated(self):
        return not self.msgstr or any(text == "" for text in self.msgstr.values())

    def describe(self):
        context = f" [context {self.msgctxt!r}]" if self.msgctxt is not None else ""
        return f"line {self.line}: {self.msgid!r}{context}"


def _unquote(quoted):
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), quoted[1:-1])


def parse_po(path):
    """The live entries of a .po file (obsolete #~ entries are skipped)."""
    entries = []
    entry = None
    last = None  # (field, index) that continuation lines extend

    def finish():
        nonlocal entry, last
        if entry is not None and entry.msgid is not None:
            entries.append(entry)
        entry, last = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
            continue
        if line.startswith("#"):
            if entry is not None and entry.msgid is not None:
                finish()  # an entry appended without a blank line before it
            entry = entry or Entry(line=number)
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        match = KEYWORD.match(line)
        if match:
            keyword, index, quoted = match.groups()
            if keyword in ("msgctxt", "msgid") and entry is not None and entry.msgid is not None:
                finish()
            entry = entry or Entry(line=number)
            value = _unquote(quoted)
            if keyword.startswith("msgstr"):
                slot = int(index) if index is not None else 0
                entry.msgstr[slot] = value
                last = ("msgstr", slot)
            else:
                setattr(entry, keyword, value)
                last = (keyword, None)
            continue
        if line.startswith('"') and last is not None:
            name, slot = last
            if name == "msgstr":
                entry.msgstr[slot] += _unquote(line)
            else:
                setattr(entry, name, getattr(entry, name) + _unquote(line))
            continue
        raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def catalogue(language, folder=LOCALE_DIR):
    return [
        entry
        for entry in parse_po(folder / language / "LC_MESSAGES" / "django.po")
        if not entry.is_header
    ]


def report(language, problem, entries, folder=LOCALE_DIR):
    listed = "\n".join(f"  {entry.describe()}" for entry in entries)
    return f"{len(entries)} {problem} in {folder.name}/{language}/LC_MESSAGES/django.po:\n{listed}"


def test_the_parser_reads_what_msgfmt_reads(tmp_path):
    po = tmp_path / "test.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: a.py:1\n#, python-format\nmsgid "Hello %(name)s"\nmsgstr "Сәлем %(name)s"\n'
        '#, fuzzy\nmsgid ""\n"Two "\n"lines"\nmsgstr "Екі \\"жол\\""\n\n'
        'msgctxt "menu"\nmsgid "File"\nmsgid_plural "Files"\nmsgstr[0] "Файл"\nmsgstr[1] ""\n\n'
        '#~ msgid "Old"\n#~ msgstr "Ескі"\n',
        encoding="utf-8",
    )
    header, hello, two, files = parse_po(po)
    assert header.is_header
    assert (hello.msgid, hello.msgstr, hello.flags) == (
        "Hello %(name)s",
        {0: "Сәлем %(name)s"},
        {"python-format"},
    )
    assert (two.msgid, two.msgstr[0], two.fuzzy) == ("Two lines", 'Екі "жол"', True)
    assert (files.msgctxt, files.msgid_plural, files.untranslated) == ("menu", "Files", True)


@pytest.mark.parametrize(
    ("folder", "language"),
    [(folder, language) for folder, language in CATALOGUES if language != "en"],
    ids=[name for name in CATALOGUE_IDS if not name.endswith("/en")],
)
def test_catalogue_translates_every_message(folder, language):
    missing = [entry for entry in catalogue(language, folder) if entry.untranslated or entry.fuzzy]
    assert not missing, report(language, "untranslated or fuzzy messages", missing, folder)


def _needs_english(entry):
    """An English msgid stands for itself; one written in another script does not."""
    if STRICT_ENGLISH:
        return True
    return len(CYRILLIC.findall(entry.msgid)) > len(LATIN.findall(entry.msgid))


def test_english_catalogue_has_no_fuzzy_or_foreign_entries():
    bad = [
        entry
        for entry in catalogue("en")
        if entry.fuzzy or (entry.untranslated and _needs_english(entry))
    ]
    assert not bad, report("en", "fuzzy or untranslated messages", bad)


@functools.cache
def django_catalogue(language):
    """Django's own translations, which ours may override (month names in Kazakh)."""
    mo = Path(django.__file__).parent / "conf" / "locale" / language / "LC_MESSAGES" / "django.mo"
    if not mo.exists():
        return {}
    with mo.open("rb") as file:
        return gettext.GNUTranslations(file)._catalog


def _covered_elsewhere(language, key):
    context, msgid = key
    lookup = f"{context}\x04{msgid}" if context is not None else msgid
    if lookup in django_catalogue(language) or (lookup, 0) in django_catalogue(language):
        return True
    # Without an entry an English message is shown as written.
    return language == "en" and not _needs_english(Entry(line=0, msgid=msgid))


def test_catalogues_list_the_same_messages():
    """A message one catalogue has must be in the others, unless Django's own catalogue
    already translates it for that language (an override like Kazakh month names)."""
    keys = {language: {entry.key for entry in catalogue(language)} for language in LANGUAGES}
    everything = set().union(*keys.values())
    problems = []
    for language in LANGUAGES:
        absent = sorted(
            (key for key in everything - keys[language] if not _covered_elsewhere(language, key)),
            key=lambda key: (key[1], key[0] or ""),
        )
        if absent:
            problems.append(
                f"locale/{language} lacks {len(absent)} message(s) the others have:\n"
                + "\n".join(f"  {msgid!r}" for _context, msgid in absent)
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("folder", "language"), CATALOGUES, ids=CATALOGUE_IDS)
def test_no_message_is_listed_twice(folder, language):
    seen = {}
    twice = []
    for entry in catalogue(language, folder):
        if entry.key in seen:
            twice.append(entry)
        seen.setdefault(entry.key, entry)
    problem = "messages listed twice (msgfmt refuses the file)"
    assert not twice, report(language, problem, twice, folder)


def _placeholders(text):
    return set(PLACEHOLDER.findall(text or ""))


@pytest.mark.parametrize(("folder", "language"), CATALOGUES, ids=CATALOGUE_IDS)
def test_translations_keep_the_placeholders(folder, language):
    """A placeholder the source lacks raises KeyError when the page is drawn; a lost one
    drops the name or number from the sentence. (msgfmt checks only entries flagged
    python-format, and appended entries often lack the flag.)"""
    broken = []
    for entry in catalogue(language, folder):
        source = _placeholders(entry.msgid) | _placeholders(entry.msgid_plural)
        for text in entry.msgstr.values():
            if not text:
                continue
            found = _placeholders(text)
            # A plural form may leave out the number ("одна статья"), never add a name.
            if not found <= source or (entry.msgid_plural is None and found != source):
                broken.append(entry)
                break
    assert not broken, report(language, "translations with other placeholders", broken, folder)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (gettext) is not installed")
@pytest.mark.parametrize(("locale_dir", "language"), CATALOGUES, ids=CATALOGUE_IDS)
def test_compiled_catalogue_is_up_to_date(locale_dir, language, tmp_path):
    """django.mo says what django.po says: run compilemessages after editing a .po file."""
    folder = locale_dir / language / "LC_MESSAGES"
    fresh = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(fresh), str(folder / "django.po")],
        capture_output=True,
        text=True,
        check=False,
    )
    where = f"{locale_dir.name}/{language}"
    assert result.returncode == 0, f"msgfmt refuses {where}:\n{result.stderr}"
    with fresh.open("rb") as new, (folder / "django.mo").open("rb") as committed:
        expected = gettext.GNUTranslations(new)._catalog
        actual = gettext.GNUTranslations(committed)._catalog
    stale = sorted(
        str(key) for key in expected.keys() | actual.keys() if expected.get(key) != actual.get(key)
    )
    assert not stale, (
        f"{where}/LC_MESSAGES/django.mo is stale; run "
        "`python manage.py compilemessages --ignore=.venv`. Differing messages:\n  "
        + "\n  ".join(stale[:40])
    )


# The pages in each language


@pytest.fixture
def story(db):
    society = CategoryFactory(name="Общество", slug="society")
    return ArticleFactory(category=society, source_url="https://example.org/original")


def choose(client, language):
    response = client.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == language


PAGE_TEXT = {
    "ru": {
        "home": ["Последние новости", "Главная", "Войти"],
        "article": ["Обсуждение", "Оригинал статьи", "Как вам публикация?"],
    },
    "kk": {
        "home": ["Соңғы жаңалықтар", "Басты бет", "Кіру"],
        "article": ["Талқылау", "Түпнұсқа мақала", "Жарияланым сізге қалай?"],
    },
    "en": {
        "home": ["Latest news", "Home", "Log in"],
        "article": ["Discussion", "Original article", "How do you like this story?"],
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_speak_the_chosen_language(client, story, language):
    choose(client, language)
    home = client.get("/").content.decode()
    article = client.get(story.get_absolute_url()).content.decode()
    assert f'<html lang="{language}">' in home
    for text in PAGE_TEXT[language]["home"]:
        assert text in home
    for text in PAGE_TEXT[language]["article"]:
        assert text in article
    # The articles themselves stay in their own language.
    assert story.title in home and story.title in article


@pytest.mark.parametrize(
    ("language", "expected"), [("ru", "Политика"), ("kk", "Саясат"), ("en", "Politics")]
)
def test_sections_are_named_in_the_reader_language(client, db, language, expected):
    politics = CategoryFactory(
        name="Политика",
        name_kk="Саясат",
        name_en="Politics",
        description="Решения акиматов.",
        description_kk="Әкімдіктердің шешімдері.",
        description_en="Decisions of akimats.",
        slug="politics",
    )
    CategoryFactory(name="Происшествия", slug="incidents")  # named in Russian only
    story = ArticleFactory(category=politics)
    choose(client, language)
    home = client.get("/").content.decode()
    article = client.get(story.get_absolute_url()).content.decode()
    section = client.get(politics.get_absolute_url()).content.decode()
    assert f'<a href="/politics/" aria-current="page">{expected}</a>' in section  # the menu
    assert f'<h1 class="page-title">{expected}</h1>' in section
    description = {"ru": "Решения акиматов.", "kk": "Әкімдіктердің шешімдері."}.get(
        language, "Decisions of akimats."
    )
    assert f'<p class="page-intro">{description}</p>' in section
    assert f'<meta name="description" content="{description}">' in section
    assert f'<a class="article__category" href="/politics/">{expected}</a>' in article
    assert f'"articleSection":"{expected}"' in article  # schema.org NewsArticle
    assert f">{expected}</a>" in home
    assert 'href="/incidents/">Происшествия</a>' in home  # no other name: the Russian one


def test_a_renamed_section_shows_at_once_on_kept_pages(client, db, settings):
    settings.PAGE_CACHE_SECONDS = 30
    sport = CategoryFactory(name="Спорт", name_kk="Спорт", slug="sport")
    story = ArticleFactory(category=sport)
    choose(client, "kk")
    assert ">Спорт</a>" in client.get(story.get_absolute_url()).content.decode()  # kept now
    sport.name_kk = "Спорт жаңалықтары"
    sport.save()
    page = client.get(story.get_absolute_url()).content.decode()
    assert '<a class="article__category" href="/sport/">Спорт жаңалықтары</a>' in page


def test_comment_times_read_in_kazakh(client, story):
    from comments.models import Comment

    written = {
        comment(story, body="Свежий"): timedelta(0),
        comment(story, body="Минутный"): timedelta(minutes=5),
        comment(story, body="Часовой"): timedelta(hours=2),
    }
    for item, age in written.items():
        Comment.objects.filter(pk=item.pk).update(created_at=timezone.now() - age)
    choose(client, "kk")
    page = html.unescape(client.get(story.get_absolute_url()).content.decode())
    for kazakh in ("қазір", "5\u00a0минут бұрын", "2\u00a0сағат бұрын"):
        assert kazakh in page
    for russian in ("сейчас", "минут назад", "часа назад"):  # Django's fallback before
        assert russian not in page


# Account pages come from django-allauth, which has no Kazakh of its own: for each page,
# messages it shows (their Russian is what a Kazakh reader used to get).
ACCOUNT_PAGES = {
    "/accounts/login/": ["Sign In", "Remember Me", "Forgot your password?"],
    "/accounts/signup/": ["Sign Up", "Your password can’t be entirely numeric."],
    "/accounts/password/reset/": ["Password Reset", "Reset My Password"],
}


@pytest.mark.parametrize("path", ACCOUNT_PAGES)
def test_account_pages_speak_kazakh_not_the_russian_fallback(client, db, path):
    choose(client, "kk")
    page = html.unescape(client.get(path).content.decode())
    for message in ACCOUNT_PAGES[path]:
        with translation.override("kk"):
            kazakh = translation.gettext(message)
        with translation.override("ru"):
            russian = translation.gettext(message)
        assert kazakh != russian, f"{message!r} has no Kazakh"
        assert kazakh in page
        assert russian not in page


def test_password_rules_are_explained_in_kazakh(client, db):
    choose(client, "kk")
    response = client.post(
        "/accounts/signup/",
        {"username": "Айбалта", "email": "aibalta@example.kz", "password1": "12345678",
         "password2": "12345678"},
    )  # fmt: skip
    page = html.unescape(response.content.decode())
    assert response.status_code == 200  # the form again, with what was typed
    assert 'value="Айбалта"' in page
    for message in ("This password is too common.", "This password is entirely numeric."):
        with translation.override("kk"):
            assert translation.gettext(message) in page
        with translation.override("ru"):
            assert translation.gettext(message) not in page


PLURALS = {
    "ru": {"comments": ["1 комментарий", "2 комментария", "5 комментариев"],
           "articles": ["1 статья", "2 статьи", "5 статей"]},
    "kk": {"comments": ["1 пікір", "2 пікір", "5 пікір"],
           "articles": ["1 мақала", "2 мақала", "5 мақала"]},
    "en": {"comments": ["1 comment", "2 comments", "5 comments"],
           "articles": ["1 article", "2 articles", "5 articles"]},
}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_counts_take_the_plural_form_of_the_language(client, story, language):
    people = []
    for count in (1, 2, 5):
        person = UserFactory(username=f"writer{count}")
        for n in range(count):
            comment(story, author=person, body=f"Комментарий {n}")
            ArticleFactory(
                category=story.category,
                author=person,
                published_at=timezone.now() - timedelta(hours=n + 1),
            )
        people.append(person)
    choose(client, language)
    for person, comments_text, articles_text in zip(
        people, PLURALS[language]["comments"], PLURALS[language]["articles"], strict=True
    ):
        profile = client.get(person.get_absolute_url()).content.decode()
        assert f"<span>{comments_text}</span>" in profile
        author_page = client.get(f"/authors/{person.username}/").content.decode()
        assert f'<p class="page-intro">{articles_text}</p>' in author_page
