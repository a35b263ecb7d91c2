"""Load the demo newsroom: sections, articles with covers, and the demo accounts.

Idempotent: what already exists (matched by slug or username) is left as it is, so running
it again adds nothing twice and keeps any edits made since.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.roles import EDITORS_GROUP, MODERATORS_GROUP
from articles.demo import content
from articles.demo.covers import make_cover
from articles.models import Article, Category
from articles.text import slugify_title
from comments import tree
from comments.models import Comment

DEMO_ACCOUNTS = [
    # username, password, display name, group, is_staff
    ("editor", "editor-demo", "Дана Сейткали", EDITORS_GROUP, True),
    ("moderator", "moderator-demo", "Арман Модератор", MODERATORS_GROUP, True),
    ("reader", "reader-demo", "Читатель", None, False),
]


class Command(BaseCommand):
    help = "Load demo sections, articles and accounts (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--site-domain",
            default="127.0.0.1:8000",
            help="Domain written into the Sites framework for links in e-mails.",
        )

    @transaction.atomic
    def handle(self, *args, site_domain, **options):
        Site.objects.update_or_create(
            pk=1, defaults={"domain": site_domain, "name": "Степной вестник"}
        )
        accounts = self.load_accounts()
        categories = self.load_categories()
        created = self.load_articles(categories, author=accounts["editor"])
        new_comments = self.load_comments(accounts)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content ready: {len(categories)} sections, "
                f"{Article.objects.count()} articles ({created} new), "
                f"{Comment.objects.count()} comments ({new_comments} new)."
            )
        )

    def load_accounts(self):
        User = get_user_model()
        accounts = {}
        for username, password, display_name, group_name, is_staff in DEMO_ACCOUNTS:
            user = User.objects.filter(username__iexact=username).first()
            if user is None:
                user = User.objects.create_user(
                    username=username,
                    email=f"{username}@example.com",
                    password=password,
                    display_name=display_name,
                    is_staff=is_staff,
                )
                EmailAddress.objects.create(
                    user=user, email=user.email, verified=True, primary=True
                )
                if group_name:
                    user.groups.add(Group.objects.get(name=group_name))
            accounts[username] = user
        for entry in content.USERS:
            user = User.objects.filter(username__iexact=entry["username"]).first()
            if user is None:
                user = User(username=entry["username"], display_name=entry.get("display_name", ""))
                user.set_unusable_password()
                user.save()
            accounts[entry["username"]] = user
        return accounts

    def load_categories(self):
        categories = {}
        for entry in content.CATEGORIES:
            category, _ = Category.objects.get_or_create(
                slug=entry["slug"],
                defaults={
                    "name": entry["name"],
                    "name_kk": entry.get("name_kk", ""),
                    "name_en": entry.get("name_en", ""),
                    "order": entry["order"],
                    "description": entry.get("description", ""),
                    "description_kk": entry.get("description_kk", ""),
                    "description_en": entry.get("description_en", ""),
                },
            )
            categories[entry["slug"]] = category
        return categories

    def load_articles(self, categories, author):
        now = timezone.now()
        created = 0
        for entry in content.ARTICLES:
            category = categories[entry["category"]]
            slug = slugify_title(entry["title"])
            if Article.objects.filter(category=category, slug=slug).exists():
                continue
            article = Article(
                title=entry["title"],
                slug=slug,
                lead=entry["lead"],
                body=entry["body"],
                category=category,
                author=author,
                language=entry["language"],
                status=entry.get("status", Article.Status.PUBLISHED),
                published_at=now - timedelta(hours=entry["hours_ago"]),
                is_featured=entry.get("featured", False),
                source_url=entry.get("source_url", ""),
            )
            cover = entry.get("cover")
            if cover:
                article.cover_caption = cover["caption"]
                article.cover = ContentFile(make_cover(cover["seed"]), name=f"{slug[:40]}.jpg")
            article.save()
            created += 1
        return created

    def load_comments(self, accounts):
        """Each demo comment is keyed ("demo:<key>") so a second run adds none of them again."""
        now = timezone.now()
        new = []
        for entry in content.ARTICLES:
            comments = entry.get("comments") or []
            if not comments:
                continue
            article = Article.objects.get(
                category__slug=entry["category"], slug=slugify_title(entry["title"])
            )
            existing = {
                c.import_key: c for c in article.comments.filter(import_key__startswith="demo:")
            }
            by_key = dict(existing)
            for item in comments:
                key = f"demo:{item['key']}"
                if key in by_key:
                    continue
                written = min(article.published_at + timedelta(minutes=item["minutes_after"]), now)
                comment = Comment(
                    article=article,
                    author=accounts[item["author"]],
                    parent=by_key[f"demo:{item['parent']}"] if item.get("parent") else None,
                    body=item["body"],
                    created_at=written,
                    import_key=key,
                )
                by_key[key] = comment
                new.append(comment)
        if new:
            tree.insert_many(new)
        return len(new)
