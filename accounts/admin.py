from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import Block, Follow, Notification, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Profile", {"fields": ("display_name", "bio", "avatar", "profile_state", "age_confirmed_at")}),
        ("Standing", {"fields": ("strikes", "suspended_until", "banned_at")}),
    )
    list_display = ("username", "email", "display_name", "profile_state", "is_staff", "strikes", "banned_at")
    list_filter = BaseUserAdmin.list_filter + ("profile_state",)


admin.site.register(Follow)
admin.site.register(Block)
admin.site.register(Notification)
