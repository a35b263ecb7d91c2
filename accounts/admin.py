from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import avatars
from .models import User


class AdminUserChangeForm(UserChangeForm):
    """Avatars uploaded in the admin go through the same checks and re-encoding as readers'."""

    def clean_avatar(self):
        upload = self.cleaned_data.get("avatar")
        # A new upload; otherwise the stored file, or False when "clear" was ticked.
        if upload and "avatar" in self.changed_data and hasattr(upload, "content_type"):
            avatars.validate_avatar(upload)
            return avatars.make_avatar(upload)
        return upload


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = AdminUserChangeForm
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Public profile"), {"fields": ("display_name", "avatar", "avatar_preview")}),
    )
    readonly_fields = ("avatar_preview",)
    list_display = ("username", "display_name", "list_avatar", "email", "is_staff", "date_joined")
    search_fields = ("username", "display_name", "email", "first_name", "last_name")

    @admin.display(description=_("avatar"))
    def list_avatar(self, user):
        if not user.avatar:
            return "—"
        return format_html(
            '<img src="{}" alt="" width="32" height="32" style="border-radius:50%">',
            user.avatar.url,
        )

    @admin.display(description=_("Preview"))
    def avatar_preview(self, user):
        if not user.avatar:
            return "—"
        return format_html(
            '<img src="{}" alt="" width="128" height="128" style="border-radius:50%">',
            user.avatar.url,
        )

    def save_model(self, request, obj, form, change):
        old_name = ""
        if change and "avatar" in form.changed_data:
            old_name = type(obj).objects.filter(pk=obj.pk).values_list("avatar", flat=True).first()
        super().save_model(request, obj, form, change)
        if old_name and old_name != obj.avatar.name:
            avatars.delete_file_later(obj.avatar.storage, old_name)
