from django.db.models import F, Q
from mptt.managers import TreeManager
from mptt.querysets import TreeQuerySet


class CommentQuerySet(TreeQuerySet):
    def visible(self):
        """Comments anyone may read: not hidden, pending or deleted."""
        return self.filter(status=self.model.Status.VISIBLE)

    def on_published_articles(self):
        from articles.models import Article

        return self.filter(article__in=Article.objects.published())

    def public(self):
        """Visible comments under articles readers can see: what lists and feeds show."""
        return self.visible().on_published_articles()

    def roots(self):
        return self.filter(parent__isnull=True)

    def with_reply_count(self):
        # Every descendant widens the nested set by two, so counting costs nothing.
        return self.annotate(reply_count=(F("rght") - F("lft") - 1) / 2)

    def shown_to(self, user):
        """Visible comments, plus the user's own comments whatever their state."""
        if user.is_authenticated:
            return self.filter(Q(status=self.model.Status.VISIBLE) | Q(author=user))
        return self.visible()


class CommentManager(TreeManager.from_queryset(CommentQuerySet)):
    pass
