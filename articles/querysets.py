from django.db import models
from django.db.models import Count, F, OuterRef, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """What readers may see: published, and not scheduled for later."""
        return self.filter(status=self.model.Status.PUBLISHED, published_at__lte=timezone.now())

    def for_listing(self):
        """Cards in lists: the related rows they show, without the heavy body columns."""
        return (
            self.select_related("category", "author")
            .defer("body", "body_html")
            .with_comment_counts()
            .order_by("-published_at", "-pk")
        )

    def with_comment_counts(self):
        """comment_count: the visible comments of each article, in the same query."""
        from comments.models import Comment

        visible = (
            Comment.objects.filter(article=OuterRef("pk"), status=Comment.Status.VISIBLE)
            .order_by()
            .values("article")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(comment_count=Coalesce(Subquery(visible), 0))

    def latest_per_category(self, per_category):
        """The newest `per_category` articles of every category, in one query."""
        return self.annotate(
            rank_in_category=Window(
                RowNumber(),
                partition_by=F("category_id"),
                order_by=[F("published_at").desc(), F("pk").desc()],
            )
        ).filter(rank_in_category__lte=per_category)
