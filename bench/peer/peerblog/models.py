from django.db import models
from django.urls import reverse


class Article(models.Model):
    title = models.CharField(max_length=200)
    lead = models.TextField(blank=True)
    body = models.TextField()
    published_at = models.DateTimeField()

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("article", kwargs={"pk": self.pk})
