"""Users of an export: created when missing, left as they are when here
(listed when they differ); on a fresh server root's password and profile
are taken from the export, as devpi-import does."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from indexes.distribution.names import is_valid_user_or_index_name
from indexes.models import UserProfile
from indexes.serverstate import serial_bump

from . import mapping
from .import_run import ImportRun
from .reports import Skipped


def user_import(run: ImportRun, name: str, userconfig: dict) -> None:
    report = run.report
    if not is_valid_user_or_index_name(name) or name.startswith("+"):
        report.skip(f"user {name!r}", "the name contains characters that are not allowed")
        return
    fields, unknown = mapping.user_fields_from_devpi(userconfig)
    for key in unknown:
        report.skip(f"user {name}: key {key!r}", "not a devpi-server user key (a plugin's?)")
    password = mapping.password_from_devpi(userconfig)
    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        _user_create(run, name, fields, password, userconfig)
        report.created["users"] += 1
        run.progress(f"user {name}: created")
        return
    profile, _ = UserProfile.objects.get_or_create(user=user)
    differences = _user_differences(run, user, profile, fields, password)
    if not differences:
        report.unchanged["users"] += 1
    elif run.fresh and name == "root":
        _user_update(run, user, profile, fields, password, userconfig)
        report.updated["users"] += 1
        run.progress(f"user {name}: password and profile taken from the export")
    else:
        report.unchanged["users"] += 1
        report.kept.append(Skipped(f"user {name}", "differs in " + ", ".join(differences)))


def _password_value(run: ImportRun, name: str, password: mapping.PasswordMapping) -> str | None:
    if password.encoded is None:
        run.report.password_resets.append(Skipped(f"user {name}", password.problem or ""))
    return password.encoded


def _user_create(run: ImportRun, name, fields, password, userconfig) -> None:
    with transaction.atomic():
        user = get_user_model()(
            username=name,
            email=fields["email"],
            is_superuser=name == "root",
            is_staff=name == "root",
        )
        encoded = _password_value(run, name, password)
        if encoded is None:
            user.set_unusable_password()
        else:
            user.password = encoded
        user.save()
        UserProfile.objects.create(
            user=user,
            title=fields["title"],
            description=fields["description"],
            custom_data=fields["custom_data"],
        )
        UserProfile.objects.filter(user=user).update(
            created=mapping.parse_iso(userconfig.get("created")) or timezone.now(),
            modified=mapping.parse_iso(userconfig.get("modified")),
        )
        serial_bump()


def _user_differences(run: ImportRun, user, profile, fields, password) -> list[str]:
    differences = [
        key
        for key in ("title", "description", "custom_data")
        if getattr(profile, key) != fields[key]
    ]
    if user.email != fields["email"]:
        differences.insert(0, "email")
    here = user.password if user.has_usable_password() else None
    if here != password.encoded:
        differences.append("password")
    return differences


def _user_update(run: ImportRun, user, profile, fields, password, userconfig) -> None:
    with transaction.atomic():
        encoded = _password_value(run, user.username, password)
        if encoded is None:
            user.set_unusable_password()
        else:
            user.password = encoded
        user.email = fields["email"]
        user.save()
        for key in ("title", "description", "custom_data"):
            setattr(profile, key, fields[key])
        profile.modified = mapping.parse_iso(userconfig.get("modified"))
        profile.save()
        created = mapping.parse_iso(userconfig.get("created"))
        if created is not None:
            UserProfile.objects.filter(pk=profile.pk).update(created=created)
        serial_bump()
