"""The web UI's forms. They only collect what a person typed: every rule about
an index's config is ``indexes.config``'s (through ``indexes.services``),
the same code path as the JSON API and ``manage.py devpi``."""

from __future__ import annotations

from typing import Any

from django import forms

from .config import MIRROR_KEYS, STAGE_KEYS


class LoginForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        ),
    )
    # devpi allows the empty password
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class UserSettingsForm(forms.Form):
    email = forms.CharField(
        required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    current_password = forms.CharField(
        required=False,
        strip=False,
        label="Current password",
        help_text="Needed to set a new password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        required=False,
        strip=False,
        label="New password",
        help_text="Leave empty to keep the password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        required=False,
        strip=False,
        label="New password, again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "The two new passwords differ.")
        return data


def _list_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


class IndexConfigForm(forms.Form):
    """An index's editable keys, as text: lists are comma-separated."""

    title = forms.CharField(required=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    volatile = forms.BooleanField(
        required=False, help_text="A volatile index allows overwriting and deleting releases."
    )
    bases = forms.CharField(
        required=False, help_text="Indexes this one inherits from, comma-separated (user/index)."
    )
    acl_read = forms.CharField(
        required=False,
        label="Read allowed for",
        help_text="Users or :groups:, comma-separated; :ANONYMOUS: for everyone, "
        ":AUTHENTICATED: for any logged-in user. The owner and root always read; "
        "an index's readers are also limited by those of its bases.",
    )
    acl_upload = forms.CharField(
        required=False,
        label="Upload allowed for",
        help_text="Users or :groups:, comma-separated; :ANONYMOUS: or :AUTHENTICATED: "
        "for everyone.",
    )
    acl_toxresult_upload = forms.CharField(
        required=False,
        label="Tox result upload allowed for",
        help_text="Users or :groups:, comma-separated.",
    )
    mirror_whitelist = forms.CharField(
        required=False,
        help_text="Projects that may also come from mirror bases although "
        "this index has them; * for all.",
    )
    mirror_whitelist_inheritance = forms.CharField(
        required=False,
        help_text="intersection or union",
        widget=forms.Select(choices=[("intersection", "intersection"), ("union", "union")]),
    )
    mirror_url = forms.CharField(
        required=False, label="Mirror URL", widget=forms.URLInput(attrs={"inputmode": "url"})
    )
    mirror_cache_expiry = forms.CharField(
        required=False,
        help_text="Seconds before a cached project page is checked again.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    # the keys shown, in page order; which keys an index type has is config's to say
    STAGE_FIELDS: list[str] = [
        k
        for k in (
            "title",
            "description",
            "bases",
            "volatile",
            "acl_read",
            "acl_upload",
            "acl_toxresult_upload",
            "mirror_whitelist",
            "mirror_whitelist_inheritance",
        )
        if k in STAGE_KEYS
    ]
    MIRROR_FIELDS: list[str] = [
        k
        for k in (
            "title",
            "description",
            "mirror_url",
            "mirror_cache_expiry",
            "volatile",
            "acl_read",
        )
        if k in MIRROR_KEYS
    ]

    @classmethod
    def initial_from(cls, config: dict) -> dict:
        # no acl_read means everyone (devpi's indexes have none)
        config = {"acl_read": [":ANONYMOUS:"], **config}
        return {
            key: (bool(config.get(key, True)) if key == "volatile" else _list_text(config.get(key)))
            for key in cls.base_fields
            if key in config or key == "volatile"
        }

    def fields_for(self, index_type: str) -> list[str]:
        return self.MIRROR_FIELDS if index_type == "mirror" else self.STAGE_FIELDS

    def config_data(self, index_type: str) -> dict:
        """The typed values of the keys an index of ``index_type`` has (the
        page shows only those) that the form sent (an unchecked box is
        False); empty text is meaningful (no title, no bases, nobody in an
        ACL)."""
        own = self.fields_for(index_type)
        return {
            key: self.cleaned_data[key]
            for key in own
            if key in self.cleaned_data and (key in self.data or key == "volatile")
        }


class IndexCreateForm(IndexConfigForm):
    name = forms.CharField(max_length=150, label="Index name")
    type = forms.ChoiceField(
        choices=[("stage", "stage (your uploads)"), ("mirror", "mirror (of another index)")],
        initial="stage",
    )
    field_order = ["name", "type"]

    @staticmethod
    def initial_for(owner: str) -> dict:
        return {
            "type": "stage",
            "volatile": True,
            "acl_upload": owner,
            "acl_read": ":ANONYMOUS:",
            "acl_toxresult_upload": ":ANONYMOUS:",
            "mirror_whitelist_inheritance": "intersection",
        }

    def config_data(self, index_type: str) -> dict:
        """The keys of ``index_type`` that were filled in (the rest get their
        defaults), and any key of the other type changed from its initial
        value, which ``indexes.config`` then refuses as the API would."""
        own = self.fields_for(index_type)
        data: dict[str, Any] = {}
        for key in self.STAGE_FIELDS + [
            k for k in self.MIRROR_FIELDS if k not in self.STAGE_FIELDS
        ]:
            value = self.cleaned_data.get(key)
            if key == "volatile":
                data[key] = bool(value)
            elif value not in ("", None) and (key in own or value != self.initial.get(key)):
                data[key] = value
        if index_type == "mirror":
            data["type"] = "mirror"
        return data


class TokenCreateForm(forms.Form):
    """A new API token: collects text; ``indexes.services.tokens`` validates."""

    SCOPE_CHOICES = [("read", "read"), ("upload", "upload"), ("toxresult", "toxresult")]

    description = forms.CharField(required=False, max_length=200)
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="At least one.",
    )
    indexes = forms.CharField(
        required=False,
        max_length=10000,
        help_text="Index names USER/NAME, separated by spaces or "
        "commas; empty: every index you may use.",
    )
    expires = forms.IntegerField(
        required=False, label="Expires after (seconds)", help_text="Empty: never."
    )

    def token_data(self) -> dict:
        data = self.cleaned_data
        result: dict = {
            "description": data.get("description") or "",
            "scopes": list(data.get("scopes") or []),
        }
        names = [n for n in (data.get("indexes") or "").replace(",", " ").split() if n]
        if names:
            result["indexes"] = names
        if data.get("expires") is not None:
            result["expires"] = data["expires"]
        return result
