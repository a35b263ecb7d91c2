"""Importing an article archive, with its discussions, from JSON files.

The format is described in docs/import-format.md. The work happens in two phases:

1. `read_files()` parses and validates every file and refuses them all, with a list of
   what is wrong and where, if anything is. It reads the database only to find articles
   that an import could not tell apart.
2. `import_files()` writes each file inside one transaction: a file imports whole or not
   at all. Importing a file again updates what it imported before and adds nothing twice
   (articles are matched by source_url, comments by their key within the article).

Comment trees are written only through comments.tree.
"""

import contextlib
import heapq
import json
import time
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, connection, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comments import tree
from comments.models import Comment
from comments.services import check_body, forget_latest

from .models import Article, Category

MAX_ERRORS = 20
QUERY_CHUNK = 500
LANGUAGES = ("ru", "kk")
USERNAME_PUNCTUATION = "_.-"

DOCUMENT_FIELDS = ("articles",)
ARTICLE_REQUIRED = (
    "source_url", "category", "title", "lead", "body", "language", "published_at",
)  # fmt: skip
ARTICLE_OPTIONAL = ("author", "comments")
CATEGORY_REQUIRED = ("slug", "name")
COMMENT_REQUIRED = ("key", "author", "body", "created_at", "parent")

is_http_url = URLValidator(schemes=["http", "https"])


# Errors ---------------------------------------------------------------------------------


@dataclass
class Problem:
    """One thing wrong with the input, and where: a file, and a place inside it."""

    file: str
    place: str
    message: str

    def __str__(self):
        if self.place:
            return f"{self.file}: {self.place}: {self.message}"
        return f"{self.file}: {self.message}"


class Problems:
    """Collects problems, keeping the first MAX_ERRORS and counting the rest."""

    def __init__(self, limit=MAX_ERRORS):
        self.limit = limit
        self.kept = []
        self.count = 0

    def add(self, file, place, message):
        self.count += 1
        if len(self.kept) < self.limit:
            self.kept.append(Problem(file, place, message))

    def __bool__(self):
        return self.count > 0


class ImportFailed(Exception):
    """The input was refused; nothing was written."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__(self.report())

    def report(self):
        lines = [
            ngettext(
                "Nothing was imported: %(count)d error found.",
                "Nothing was imported: %(count)d errors found.",
                self.problems.count,
            )
            % {"count": self.problems.count}
        ]
        lines.extend(f"  {problem}" for problem in self.problems.kept)
        if self.problems.count > len(self.problems.kept):
            lines.append(
                "  "
                + _("… and %(count)d more; fix these and run the import again.")
                % {"count": self.problems.count - len(self.problems.kept)}
            )
        return "\n".join(lines)


class WriteFailed(Exception):
    """The database refused a write; that file's transaction was rolled back."""

    def __init__(self, file, reason, imported):
        self.file = file
        self.reason = reason
        self.imported = imported  # files written before this one, which stay imported
        super().__init__(self.report())

    def report(self):
        message = _(
            "%(file)s: the import failed and nothing from this file was written: %(reason)s"
        ) % {"file": self.file, "reason": self.reason}
        if self.imported:
            message += "\n" + _(
                "These files were imported before it and stay imported: %(files)s"
            ) % {"files": ", ".join(self.imported)}
        return message


# What a valid file holds ------------------------------------------------------------------


@dataclass
class CommentEntry:
    index: int
    place: str  # "articles[i].comments[j]", for messages
    key: str
    author: str | None  # a username as written in the file, or None for an unsigned comment
    body: str  # normalized, as it will be stored
    created_at: datetime
    parent: str | None  # another comment's key in the same article


@dataclass
class ArticleEntry:
    index: int
    source_url: str
    category_slug: str
    category_name: str
    title: str
    lead: str
    body: str
    language: str
    published_at: datetime
    author: str | None
    comments: list = field(default_factory=list)


@dataclass
class ImportFile:
    name: str
    articles: list

    def usernames(self):
        """Usernames this file mentions: user_key -> the spelling seen first."""
        names = {}
        for article in self.articles:
            if article.author:
                names.setdefault(user_key(article.author), article.author)
            for comment in article.comments:
                if comment.author:
                    names.setdefault(user_key(comment.author), comment.author)
        return names


@dataclass
class Stats:
    articles_created: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    comments_created: int = 0
    comments_updated: int = 0
    accounts_created: int = 0
    categories_created: int = 0

    def __add__(self, other):
        return Stats(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def summary(self, name):
        return _(
            "%(name)s: articles: %(articles_created)d new, %(articles_updated)d updated, "
            "%(articles_unchanged)d unchanged; comments: %(comments_created)d new, "
            "%(comments_updated)d updated; new accounts: %(accounts_created)d; "
            "new sections: %(categories_created)d."
        ) % {"name": name, **{f.name: getattr(self, f.name) for f in fields(self)}}


# Phase 1: reading and validating ---------------------------------------------------------


class _JSONObject(dict):
    """A JSON object that remembers which of its keys appeared more than once."""

    duplicates = ()


def _object_pairs(pairs):
    obj = _JSONObject()
    duplicates = []
    for key, value in pairs:
        if key in obj and key not in duplicates:
            duplicates.append(key)
        obj[key] = value
    if duplicates:
        obj.duplicates = duplicates
    return obj


def _json_type(value):
    if value is None:
        return _("null")
    if isinstance(value, bool):
        return _("true or false")
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, list):
        return _("a list")
    return _("an object")


def _join(place, key):
    return f"{place}.{key}" if place else key


def _messages(error):
    return " ".join(str(message) for message in error.messages)


def parse_moment(text):
    """An aware datetime from ISO 8601 text, or a ValueError saying what is wrong."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            _("“%(value)s” is not an ISO 8601 date and time, such as 2024-09-02T11:30:00+05:00")
            % {"value": text}
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            _(
                "“%(value)s” has no UTC offset; write the time with one, such as "
                "2024-09-02T11:30:00+05:00 (or a Z at the end for UTC)"
            )
            % {"value": text}
        )
    return value


def check_username(name):
    """The username as it will be stored (NFKC, as Django stores it), or a ValueError.

    Letters of any script, digits, _ . and -, at most 150 characters; the User model's
    own validators apply too.
    """
    name = unicodedata.normalize("NFKC", name)
    username_field = get_user_model()._meta.get_field("username")
    valid = 0 < len(name) <= username_field.max_length and all(
        char in USERNAME_PUNCTUATION
        or unicodedata.category(char) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nd")
        for char in name
    )
    if valid:
        try:
            username_field.run_validators(name)
        except ValidationError:
            valid = False
    if not valid:
        raise ValueError(
            _(
                "“%(value)s” is not a valid username: use letters, digits and _ . - only, "
                "up to %(limit)d characters"
            )
            % {"value": name, "limit": username_field.max_length}
        )
    return name


class _FileReader:
    """Validates one parsed file, reporting problems with their places."""

    def __init__(self, name, problems):
        self.name = name
        self.problems = problems
        self.suffix = ""  # names the comment being read, after each place inside it

    def error(self, place, message):
        self.problems.add(self.name, place + self.suffix, message)

    def object(self, value, place, required, optional=()):
        """The value if it is a JSON object, else None; reports missing and unknown fields.

        A missing required field is reported here; the readers below then return False
        for it without another message.
        """
        if not isinstance(value, dict):
            self.error(
                place,
                _("must be %(expected)s, not %(actual)s")
                % {"expected": _("an object"), "actual": _json_type(value)},
            )
            return None
        for key in getattr(value, "duplicates", ()):
            self.error(_join(place, key), _("this field appears more than once"))
        allowed = (*required, *optional)
        for key in value:
            if key not in allowed:
                self.error(
                    _join(place, key),
                    _("unknown field; the fields allowed here are: %(fields)s")
                    % {"fields": ", ".join(allowed)},
                )
        for key in required:
            if key not in value:
                self.error(_join(place, key), _("required field missing"))
        return value

    def string(
        self,
        obj,
        key,
        place,
        *,
        nullable=False,
        optional=False,
        max_length=None,
        strip=True,
        allow_empty=False,
    ):
        """obj[key] as a non-empty string (None when null is allowed); False if invalid."""
        if key not in obj:
            return None if optional else False
        value = obj[key]
        where = _join(place, key)
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            expected = _("a string or null") if nullable else _("a string")
            self.error(
                where,
                _("must be %(expected)s, not %(actual)s")
                % {"expected": expected, "actual": _json_type(value)},
            )
            return False
        if "\x00" in value:
            # PostgreSQL refuses NUL in text; better said here, with the place, than failed
            # halfway through the write.
            self.error(where, _("must not contain NUL characters"))
            return False
        if strip:
            value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not value.strip() and not allow_empty:
            self.error(where, _("must not be empty"))
            return False
        if max_length is not None and len(value) > max_length:
            self.error(
                where,
                _("is %(length)d characters long; the limit is %(limit)d")
                % {"length": len(value), "limit": max_length},
            )
            return False
        return value

    def moment(self, obj, key, place):
        text = self.string(obj, key, place)
        if text is False:
            return False
        try:
            return parse_moment(text)
        except ValueError as error:
            self.error(_join(place, key), str(error))
            return False

    def username(self, obj, key, place, *, optional=False):
        name = self.string(obj, key, place, nullable=True, optional=optional, strip=False)
        if not name:
            return name
        try:
            return check_username(name)
        except ValueError as error:
            self.error(_join(place, key), str(error))
            return False

    def document(self, data):
        doc = self.object(data, "", DOCUMENT_FIELDS)
        if doc is None or "articles" not in doc:
            return []
        items = doc["articles"]
        if not isinstance(items, list):
            self.error(
                "articles",
                _("must be %(expected)s, not %(actual)s")
                % {"expected": _("a list"), "actual": _json_type(items)},
            )
            return []
        articles = [self.article(item, index) for index, item in enumerate(items)]
        return [article for article in articles if article is not None]

    def article(self, item, index):
        place = f"articles[{index}]"
        obj = self.object(item, place, ARTICLE_REQUIRED, ARTICLE_OPTIONAL)
        if obj is None:
            return None
        article_field = Article._meta.get_field
        values = {
            "source_url": self.source_url(obj, place),
            "title": self.string(obj, "title", place, max_length=article_field("title").max_length),
            "lead": self.string(obj, "lead", place, max_length=article_field("lead").max_length),
            "body": self.string(obj, "body", place, max_length=article_field("body").max_length),
            "language": self.language(obj, place),
            "published_at": self.moment(obj, "published_at", place),
            "author": self.username(obj, "author", place, optional=True),
        }
        category = None
        if "category" in obj:
            category = self.category(obj["category"], _join(place, "category"))
        comments = obj.get("comments", [])
        if not isinstance(comments, list):
            self.error(
                _join(place, "comments"),
                _("must be %(expected)s, not %(actual)s")
                % {"expected": _("a list"), "actual": _json_type(comments)},
            )
            comments = None
        else:
            comments = self.comments(comments, place)
        if category is None or comments is None or False in values.values():
            return None
        return ArticleEntry(
            index=index,
            category_slug=category[0],
            category_name=category[1],
            comments=comments,
            **values,
        )

    def source_url(self, obj, place):
        url = self.string(
            obj, "source_url", place, max_length=Article._meta.get_field("source_url").max_length
        )
        if not url:
            return False
        try:
            is_http_url(url)
        except ValidationError:
            self.error(
                _join(place, "source_url"),
                _("“%(value)s” is not a valid http:// or https:// address") % {"value": url},
            )
            return False
        return url

    def language(self, obj, place):
        if "language" not in obj:
            return False
        value = obj["language"]
        if value not in LANGUAGES:
            self.error(
                _join(place, "language"),
                _("must be “ru” (Russian) or “kk” (Kazakh), not %(value)s")
                % {"value": json.dumps(value, ensure_ascii=False)},
            )
            return False
        return value

    def category(self, value, place):
        obj = self.object(value, place, CATEGORY_REQUIRED)
        if obj is None:
            return None
        slug = self.string(obj, "slug", place)
        name = self.string(obj, "name", place)
        if slug:
            try:
                Category._meta.get_field("slug").clean(slug, None)
            except ValidationError as error:
                self.error(_join(place, "slug"), f"“{slug}”: {_messages(error)}")
                slug = False
        if name:
            try:
                Category._meta.get_field("name").clean(name, None)
            except ValidationError as error:
                self.error(_join(place, "name"), _messages(error))
                name = False
        if not slug or not name:
            return None
        return slug, name

    def comments(self, items, article_place):
        # Keys first, from every comment that has one, so a reply to a comment with some
        # other error is not also reported as a reply to nothing.
        places = {}  # key -> place of the first comment that has it
        all_keyed = True
        for index, item in enumerate(items):
            key = item.get("key") if isinstance(item, dict) else None
            if isinstance(key, str) and key.strip():
                places.setdefault(key, f"{article_place}.comments[{index}]")
            else:
                all_keyed = False
        entries = []
        ok = True
        for index, item in enumerate(items):
            place = f"{article_place}.comments[{index}]"
            entry = self.comment(item, index, place)
            if entry is None:
                ok = False
                continue
            if places[entry.key] != place:
                self.error(
                    _join(place, "key"),
                    _("the key “%(key)s” is already used by %(other)s")
                    % {"key": entry.key, "other": places[entry.key]},
                )
                ok = False
                continue
            if entry.parent is not None and entry.parent not in places:
                # A comment without a key may be the one meant: its own error says enough.
                if not all_keyed:
                    continue
                self.error(
                    self.comment_place(place, "parent", entry.key),
                    _("there is no comment with the key “%(key)s” in this article")
                    % {"key": entry.parent},
                )
                ok = False
                continue
            entries.append(entry)
        by_key = {entry.key: entry for entry in entries}
        for cycle in find_cycles({entry.key: entry.parent for entry in entries}):
            self.error(
                self.comment_place(by_key[cycle[0]].place, "parent", cycle[0]),
                _("replies form a cycle: %(cycle)s") % {"cycle": " → ".join([*cycle, cycle[0]])},
            )
            ok = False
        return entries if ok else None

    @staticmethod
    def comment_place(place, key, comment_key):
        return _join(place, key) + " " + _("(comment “%(key)s”)") % {"key": comment_key}

    def comment(self, item, index, place):
        key_limit = Comment._meta.get_field("import_key").max_length
        key = item.get("key") if isinstance(item, dict) else None
        if isinstance(key, str) and key.strip() and len(key) <= key_limit:
            # The places of the comment's fields name its key, to find it in the file by.
            self.suffix = " " + _("(comment “%(key)s”)") % {"key": key}
        try:
            obj = self.object(item, place, COMMENT_REQUIRED)
            if obj is None:
                return None
            self.suffix = ""
            key = self.string(obj, "key", place, max_length=key_limit, strip=False)
            if key:
                self.suffix = " " + _("(comment “%(key)s”)") % {"key": key}
            author = self.username(obj, "author", place)
            created_at = self.moment(obj, "created_at", place)
            parent = self.string(
                obj, "parent", place, nullable=True, max_length=key_limit, strip=False
            )
            body = self.string(obj, "body", place, strip=False, allow_empty=True)
            if body is not False:
                try:
                    body = check_body(body)
                except ValidationError as error:
                    self.error(_join(place, "body"), _messages(error))
                    body = False
        finally:
            self.suffix = ""
        if False in (key, author, created_at, parent, body):
            return None
        return CommentEntry(
            index=index,
            place=place,
            key=key,
            author=author,
            body=body,
            created_at=created_at,
            parent=parent,
        )


def find_cycles(parents):
    """Cycles in a key -> parent key mapping, each as a list of keys, each once."""
    state = {}  # key -> 1 while on the current path, 2 when done
    cycles = []
    for start in parents:
        path = []
        key = start
        while key is not None and state.get(key) is None:
            state[key] = 1
            path.append(key)
            key = parents.get(key)
        if key is not None and state.get(key) == 1:
            cycles.append(path[path.index(key) :])
        for visited in path:
            state[visited] = 2
    return cycles


def _read_json(name, problems):
    try:
        with open(name, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        problems.add(
            name, "", _("cannot read the file: %(reason)s") % {"reason": error.strerror or error}
        )
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        problems.add(
            name,
            "",
            _("line %(line)d: the file is not UTF-8 text (byte %(position)d)")
            % {"line": line, "position": error.start},
        )
        return None
    try:
        return json.loads(text, object_pairs_hook=_object_pairs)
    except json.JSONDecodeError as error:
        problems.add(
            name,
            "",
            _("line %(line)d, column %(column)d: not valid JSON: %(reason)s")
            % {"line": error.lineno, "column": error.colno, "reason": error.msg},
        )
        return None
    except RecursionError:
        problems.add(name, "", _("not valid JSON: nested too deeply"))
        return None


def read_files(names):
    """Parse and validate the files; return ImportFile objects or raise ImportFailed."""
    problems = Problems()
    files = []
    seen_urls = {}  # source_url -> (file, "articles[i]")
    for name in names:
        data = _read_json(name, problems)
        if data is None:
            continue
        reader = _FileReader(name, problems)
        articles = reader.document(data)
        categories = {}  # slug -> (name, place)
        for article in articles:
            place = f"articles[{article.index}]"
            other = seen_urls.get(article.source_url)
            if other is not None:
                problems.add(
                    name,
                    _join(place, "source_url"),
                    _("the same source_url as %(other)s; an article may appear only once")
                    % {"other": ": ".join(other)},
                )
            else:
                seen_urls[article.source_url] = (name, place)
            known = categories.setdefault(article.category_slug, (article.category_name, place))
            if known[0] != article.category_name:
                problems.add(
                    name,
                    _join(place, "category.name"),
                    _(
                        "“%(name)s” differs from “%(other_name)s”, given for the same slug "
                        "in %(other)s"
                    )
                    % {"name": article.category_name, "other_name": known[0], "other": known[1]},
                )
        files.append(ImportFile(name, articles))
    if not problems:
        _check_against_database(seen_urls, problems)
    if problems:
        raise ImportFailed(problems)
    return files


def _chunks(items, size=QUERY_CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _articles_by_url(urls):
    found = {}
    for chunk in _chunks(urls):
        for article in Article.objects.filter(source_url__in=chunk).order_by("pk"):
            found.setdefault(article.source_url, []).append(article)
    return found


def _check_against_database(seen_urls, problems):
    """Articles on the site that an import could not tell apart."""
    for url, articles in _articles_by_url(seen_urls).items():
        if len(articles) > 1:
            name, place = seen_urls[url]
            problems.add(
                name,
                _join(place, "source_url"),
                _(
                    "several articles on the site have this source_url (ids %(ids)s); "
                    "the import cannot tell which one to update"
                )
                % {"ids": ", ".join(str(article.pk) for article in articles)},
            )


# Phase 2: writing ---------------------------------------------------------------------------


def _database_lowercases_unicode():
    """Whether SQL LOWER() folds non-ASCII letters (PostgreSQL does, SQLite does not)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT LOWER(%s)", ["ÄЖ"])
        return cursor.fetchone()[0] == "äж"


def user_key(username):
    """Two usernames name one person when their keys are equal: "Айбалта", "айбалта"."""
    return unicodedata.normalize("NFKC", username).casefold()


def find_users(names):
    """Existing users for usernames, regardless of case: a dict user_key -> user id.

    A few queries for any number of names. Where the database's LOWER() leaves non-ASCII
    letters alone (SQLite), names it could not match are looked for among all usernames.
    """
    User = get_user_model()
    found = {}
    for chunk in _chunks({name.lower() for name in names}):
        rows = (
            User.objects.annotate(lowered_username=Lower("username"))
            .filter(lowered_username__in=chunk)
            .order_by("pk")
            .values_list("pk", "username")
        )
        for pk, username in rows:
            found.setdefault(user_key(username), pk)
    missing = {user_key(name) for name in names} - found.keys()
    if any(not key.isascii() for key in missing) and not _database_lowercases_unicode():
        rows = User.objects.order_by("pk").values_list("pk", "username")
        for pk, username in rows.iterator(chunk_size=5000):
            key = user_key(username)
            if key in missing:
                found.setdefault(key, pk)
    return found


def _resolve_users(names, stats):
    """User ids for the usernames in `names` (user_key -> spelling), creating accounts.

    A new account is spelled as the file first spells it and cannot log in until someone
    sets a password for it. It is saved one by one, not in bulk, so that whatever the
    User model's save() derives from the username is derived.
    """
    User = get_user_model()
    found = find_users(list(names.values()))
    for key, spelling in names.items():
        if key not in found:
            user = User(username=spelling)
            user.set_unusable_password()
            user.save()
            found[key] = user.pk
            stats.accounts_created += 1
    return found


def _resolve_categories(file, stats):
    wanted = {article.category_slug: article.category_name for article in file.articles}
    categories = {category.slug: category for category in Category.objects.filter(slug__in=wanted)}
    for slug, name in wanted.items():
        if slug not in categories:
            categories[slug] = Category.objects.create(slug=slug, name=name)
            stats.categories_created += 1
    return categories


def _write_article(entry, existing, category, author_id, stats):
    values = {
        "title": entry.title,
        "lead": entry.lead,
        "body": entry.body,
        "category_id": category.pk,
        "language": entry.language,
        "published_at": entry.published_at,
        "author_id": author_id,
    }
    if existing is None:
        article = Article(source_url=entry.source_url, status=Article.Status.PUBLISHED, **values)
        article.save()
        stats.articles_created += 1
        return article, True
    changed = [name for name, value in values.items() if getattr(existing, name) != value]
    if changed:
        for name in changed:
            setattr(existing, name, values[name])
        existing.save()
        stats.articles_updated += 1
    else:
        stats.articles_unchanged += 1
    return existing, False


def _write_comments(article, entries, is_new_article, user_ids, stats):
    existing = {}
    if not is_new_article:
        existing = {
            comment.import_key: comment
            for comment in Comment.objects.filter(article=article).exclude(import_key="")
        }
    for entry in entries:
        comment = existing.get(entry.key)
        # A comment its author deleted stays deleted: its text is not brought back.
        if comment is None or comment.status == Comment.Status.DELETED:
            continue
        if comment.body != entry.body:
            comment.body = entry.body
            # Never the tree fields: only comments.tree writes those.
            comment.save(update_fields=["body", "body_html"])
            stats.comments_updated += 1

    new_entries = [entry for entry in entries if entry.key not in existing]
    if not new_entries:
        return
    new_comments = {}
    for entry in new_entries:
        new_comments[entry.key] = Comment(
            article=article,
            author_id=user_ids[user_key(entry.author)] if entry.author else None,
            body=entry.body,
            created_at=entry.created_at,
            import_key=entry.key,
        )
    ordered = []
    for entry in _parents_first(new_entries, existing):
        comment = new_comments[entry.key]
        if entry.parent is not None:
            comment.parent = existing.get(entry.parent) or new_comments[entry.parent]
        ordered.append(comment)
    tree.insert_many(ordered)
    stats.comments_created += len(ordered)


def _parents_first(entries, existing):
    """New comments in the order they are inserted: oldest first, a reply after its parent.

    Replies are appended as their parent's last child, so inserting in time order keeps
    every thread in time order.
    """
    children = {}
    ready = []
    for entry in entries:
        if entry.parent is None or entry.parent in existing:
            ready.append((entry.created_at, entry.index, entry))
        else:
            children.setdefault(entry.parent, []).append(entry)
    heapq.heapify(ready)
    while ready:
        _created, _index, entry = heapq.heappop(ready)
        yield entry
        for child in children.pop(entry.key, ()):
            heapq.heappush(ready, (child.created_at, child.index, child))


def import_file(file, progress=None):
    """Write one validated file, in one transaction; return its Stats."""
    stats = Stats()
    with transaction.atomic():
        user_ids = _resolve_users(file.usernames(), stats)
        categories = _resolve_categories(file, stats)
        existing = _articles_by_url(article.source_url for article in file.articles)
        if progress:
            progress.start(file.name, len(file.articles))
        for done, entry in enumerate(file.articles, start=1):
            matches = existing.get(entry.source_url, [])
            if len(matches) > 1:
                raise ValidationError(
                    _("several articles on the site have the source_url %(url)s")
                    % {"url": entry.source_url}
                )
            article, created = _write_article(
                entry,
                matches[0] if matches else None,
                categories[entry.category_slug],
                user_ids[user_key(entry.author)] if entry.author else None,
                stats,
            )
            _write_comments(article, entry.comments, created, user_ids, stats)
            if progress:
                progress.update(done)
        if progress:
            progress.finish()
    return stats


def import_files(files, progress=None, dry_run=False):
    """Write validated files one after another, each in its own transaction.

    Returns [(file name, Stats)]. Raises WriteFailed if the database refuses a write: that
    file is rolled back, the files before it stay imported. A dry run rolls everything back.
    """
    results = []
    # Each file commits on its own; a dry run wraps them all in one transaction to undo.
    with transaction.atomic() if dry_run else contextlib.nullcontext():
        for file in files:
            try:
                stats = import_file(file, progress)
            except (DatabaseError, ValidationError) as error:
                if progress:
                    progress.abort()
                reason = _messages(error) if isinstance(error, ValidationError) else str(error)
                imported = [] if dry_run else [name for name, _stats in results]
                if imported:  # those files' comments are in: pages must show them
                    forget_latest()
                raise WriteFailed(file.name, reason, imported) from error
            results.append((file.name, stats))
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run and any(
        stats.comments_created or stats.comments_updated for _n, stats in results
    ):
        forget_latest()
    return results


# Progress -------------------------------------------------------------------------------------


class ProgressBar:
    """A line such as `Importing articles.json  [########------------]  40/100`.

    On a terminal the line is redrawn in place (at most ten times a second); otherwise a
    line is written at each quarter, so logs get a few lines, not hundreds.
    """

    WIDTH = 20

    def __init__(self, stream, interactive):
        self.stream = stream
        self.interactive = interactive
        self.label = ""
        self.total = 0
        self.drawn_at = 0.0
        self.quarters_written = -1
        self.drawn = None  # on a terminal: the count last drawn on the current line

    def write(self, text):
        # Plain text even on a terminal where stderr is styled as errors.
        self.stream.write(text, style_func=lambda line: line, ending="")
        self.stream.flush()

    def line(self, done):
        filled = self.WIDTH * done // self.total if self.total else self.WIDTH
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        return f"{self.label}  [{bar}]  {done}/{self.total}"

    def start(self, name, total):
        self.label = _("Importing %(file)s") % {"file": name}
        self.total = total
        self.quarters_written = -1
        self.drawn_at = 0.0
        self.update(0)

    def update(self, done):
        if self.interactive:
            now = time.monotonic()
            if now - self.drawn_at >= 0.1 or done == self.total:
                self.write("\r" + self.line(done))
                self.drawn_at = now
                self.drawn = done
            return
        quarter = 4 * done // self.total if self.total else 4
        if quarter > self.quarters_written:
            self.quarters_written = quarter
            self.write(self.line(done) + "\n")

    def finish(self):
        if self.interactive:
            if self.drawn != self.total:
                self.write("\r" + self.line(self.total))
            self.write("\n")
            self.drawn = None
        elif self.quarters_written < 4:
            self.quarters_written = 4
            self.write(self.line(self.total) + "\n")

    def abort(self):
        """End a half-drawn line, so that an error message starts on a line of its own."""
        if self.interactive and self.drawn is not None:
            self.write("\n")
            self.drawn = None
