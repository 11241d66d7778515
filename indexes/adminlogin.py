"""The admin's login form (/+admin/login/), with the same throttled password
check as every other login (``indexes.auth.check_password_credentials``):
past the limits it raises ``TooManyRequests``, which the middleware turns
into a 429 with ``Retry-After``."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self):
        from .auth import check_password_credentials

        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = check_password_credentials(self.request, username, password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
