from django.db import models
from django.db.models import F, Window
from django.db.models.functions import RowNumber
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
            .order_by("-published_at", "-pk")
        )

    def latest_per_category(self, per_category):
        """The newest `per_category` articles of every category, in one query."""
        return self.annotate(
            rank_in_category=Window(
                RowNumber(),
                partition_by=F("category_id"),
                order_by=[F("published_at").desc(), F("pk").desc()],
            )
        ).filter(rank_in_category__lte=per_category)
