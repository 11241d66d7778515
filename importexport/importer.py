"""``devpi_import``: a devpi-server export directory into this server.

The import adds what is missing and never overwrites what is here: a user,
index, release or file that exists already is left as it is (and listed
when it differs from the export), so a second run changes nothing. One
exception, as devpi-import: on a fresh server (only ``root`` and
``root/pypi``), root's password and profile and root/pypi's config are
taken from the export.

Every file's recorded hashes are checked before it is stored; a mismatch
skips that file. Blobs are written before the rows that point to them; each
project's rows are written in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from indexes.config import build_config, to_list
from indexes.distribution.archives import InvalidArchive, inspect_archive, parse_core_metadata
from indexes.distribution.filenames import (
    DistFilename, InvalidFilename, check_plain_filename, parse_filename,
)
from indexes.distribution.names import is_valid_user_or_index_name, normalize_name, split_index_name
from indexes.errors import DevpiError, Invalid
from indexes.models import Index, Project, Release, ReleaseFile, RemovedFile, UserProfile
from indexes.services.uploads import archive_limits
from indexes.readme import description_schedule
from indexes.storage import blob_put
from indexes.wire import serial_bump
from . import mapping
from .attachments import AttachmentIn, attachment_handler
from .errors import ImportExportError
from .layout import DOCZIP, RELEASEFILE, TOXRESULT, ExportTree, FileDesc, IndexDump, check_file
from .reader import member_path, read_export
from .reports import ImportReport, Skipped

Progress = Callable[[str], None]
# devpi-server's default upstream, for mirror configs of old exports without one
DEVPI_DEFAULT_MIRROR_URL = "https://pypi.org/simple/"


def devpi_import(path, *, progress: Progress | None = None, counter=None) -> ImportReport:
    """Import the devpi export in directory ``path``.

    Raises ``ImportExportError`` (a one-line message) when ``path`` is not a
    devpi export; everything else that cannot be imported is listed in the
    returned report's ``skipped``, with the reason.
    """
    progress = progress or (lambda line: None)
    tree = read_export(path)
    report = ImportReport(path=str(path), dumpversion=tree.dumpversion,
                          source_version=tree.devpi_server)
    _header(tree, progress)
    fresh = _server_is_fresh()
    run = _Run(tree, report, progress, fresh)
    for name, userconfig in tree.users.items():
        run.user(name, userconfig)
    for dump in _creation_order(tree.indexes):
        run.index(dump)
    if counter is not None:  # indexes.cli.progress.Progress: files of the stage indexes
        counter.start(sum(len(dump.files) for dump, _ in run.stages))
        run.counter = counter
    for dump, index in run.stages:
        run.index_data(dump, index)
    return report


def _header(tree: ExportTree, progress: Progress) -> None:
    source = f"devpi-server {tree.devpi_server}" if tree.devpi_server else "devpi-server"
    files = sum(len(d.files) for d in tree.indexes.values())
    progress(f"reading {tree.path}: {source} export, dumpversion {tree.dumpversion}, "
             f"{len(tree.users)} users, {len(tree.indexes)} indexes, {files} files")


def _bases_lookup(name: str) -> list[str] | None:
    """``indexes.config``'s lookup: an index's bases, None when it is not here."""
    user, _, index = name.partition("/")
    row = Index.objects.filter(owner__username=user, name=index).values_list(
        "config", flat=True).first()
    return None if row is None else list(row.get("bases", []))


def _server_is_fresh() -> bool:
    """devpi-import's test: no users but root, no index but root/pypi."""
    names = set(get_user_model().objects.values_list("username", flat=True)[:2])
    if names - {"root"}:
        return False
    return not Index.objects.exclude(owner__username="root", name="pypi").exists()


def _creation_order(indexes: dict[str, IndexDump]) -> list[IndexDump]:
    """Bases before the indexes that use them; indexes in a cycle last."""
    pending = dict(indexes)
    order: list[IndexDump] = []
    while pending:
        ready = [d for d in pending.values()
                 if not any(b in pending and b != d.name for b in d.bases)]
        if not ready:  # a cycle: devpi refuses it too; the bases are checked later
            ready = list(pending.values())[:1]
        for dump in ready:
            order.append(pending.pop(dump.name))
    return order


@dataclass
class _VerifiedFile:
    desc: FileDesc
    path: object
    sha256: str
    size: int


class _Run:
    def __init__(self, tree: ExportTree, report: ImportReport, progress: Progress, fresh: bool):
        self.tree = tree
        self.report = report
        self.progress = progress
        self.fresh = fresh
        self.stages: list[tuple[IndexDump, Index]] = []
        self.User = get_user_model()
        self.counter = None

    # -- users --------------------------------------------------------------
    def user(self, name: str, userconfig: dict) -> None:
        report = self.report
        if not is_valid_user_or_index_name(name) or name.startswith("+"):
            report.skip(f"user {name!r}", "the name contains characters that are not allowed")
            return
        fields, unknown = mapping.user_fields_from_devpi(userconfig)
        for key in unknown:
            report.skip(f"user {name}: key {key!r}", "not a devpi-server user key (a plugin's?)")
        password = mapping.password_from_devpi(userconfig)
        user = self.User.objects.filter(username=name).first()
        if user is None:
            self._user_create(name, fields, password, userconfig)
            report.created["users"] += 1
            self.progress(f"user {name}: created")
            return
        profile, _ = UserProfile.objects.get_or_create(user=user)
        differences = self._user_differences(user, profile, fields, password)
        if not differences:
            report.unchanged["users"] += 1
        elif self.fresh and name == "root":
            self._user_update(user, profile, fields, password, userconfig)
            report.updated["users"] += 1
            self.progress(f"user {name}: password and profile taken from the export")
        else:
            report.unchanged["users"] += 1
            report.kept.append(Skipped(f"user {name}", "differs in " + ", ".join(differences)))

    def _password_value(self, name: str, password: mapping.PasswordMapping) -> str | None:
        if password.encoded is None:
            self.report.password_resets.append(Skipped(f"user {name}", password.problem or ""))
        return password.encoded

    def _user_create(self, name, fields, password, userconfig) -> None:
        with transaction.atomic():
            user = self.User(username=name, email=fields["email"],
                             is_superuser=name == "root", is_staff=name == "root")
            encoded = self._password_value(name, password)
            if encoded is None:
                user.set_unusable_password()
            else:
                user.password = encoded
            user.save()
            UserProfile.objects.create(user=user, title=fields["title"],
                                       description=fields["description"],
                                       custom_data=fields["custom_data"])
            UserProfile.objects.filter(user=user).update(
                created=mapping.parse_iso(userconfig.get("created")) or timezone.now(),
                modified=mapping.parse_iso(userconfig.get("modified")))
            serial_bump()

    def _user_differences(self, user, profile, fields, password) -> list[str]:
        differences = [key for key in ("title", "description", "custom_data")
                       if getattr(profile, key) != fields[key]]
        if user.email != fields["email"]:
            differences.insert(0, "email")
        here = user.password if user.has_usable_password() else None
        if here != password.encoded:
            differences.append("password")
        return differences

    def _user_update(self, user, profile, fields, password, userconfig) -> None:
        with transaction.atomic():
            encoded = self._password_value(user.username, password)
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

    # -- indexes ------------------------------------------------------------
    def index(self, dump: IndexDump) -> None:
        report = self.report
        parts = split_index_name(dump.name)
        if parts is None:
            report.skip(f"index {dump.name!r}", "the name contains characters that are not allowed")
            return
        if dump.type not in (Index.STAGE, Index.MIRROR):
            report.skip(f"index {dump.name}", f"index type {dump.type!r} is not supported "
                        "(a devpi plugin's?)")
            return
        owner = self.User.objects.filter(username=parts[0]).first()
        if owner is None:
            report.skip(f"index {dump.name}", f"its owner {parts[0]!r} is neither in the export "
                        "nor here")
            return
        config = self._index_config(dump)
        index = Index.objects.filter(owner=owner, name=parts[1]).first()
        if index is None:
            with transaction.atomic():
                index = Index.objects.create(owner=owner, name=parts[1], type=dump.type,
                                             config=config)
                serial_bump()
            report.created["indexes"] += 1
            self.progress(f"index {dump.name}: created ({dump.type})")
        elif index.type != dump.type:
            report.skip(f"index {dump.name}", f"exists here as a {index.type} index, the "
                        f"export has a {dump.type} index")
            return
        elif index.config == config:
            report.unchanged["indexes"] += 1
        elif self.fresh and dump.name == "root/pypi":
            with transaction.atomic():
                index.config = config
                index.save(update_fields=["config", "modified"])
                serial_bump(index.id)
            report.updated["indexes"] += 1
            self.progress(f"index {dump.name}: config taken from the export")
        else:
            report.unchanged["indexes"] += 1
            keys = sorted(k for k in set(config) | set(index.config)
                          if config.get(k) != index.config.get(k))
            report.kept.append(Skipped(f"index {dump.name}", "config differs in "
                                       + ", ".join(keys)))
        if dump.type == Index.STAGE:
            self.stages.append((dump, index))
        elif dump.files or any(dump.projects.values()):
            report.skip(f"index {dump.name}: {len(dump.files)} mirrored files",
                        "mirror caches are not imported; the mirror fetches files again "
                        "on demand")

    def _index_config(self, dump: IndexDump) -> dict:
        """The validated config to store, leaving out (and reporting) what
        cannot be kept: plugin keys, invalid values, bases that do not exist."""
        requested, skipped_keys = mapping.index_config_from_devpi(dump.config)
        for item in skipped_keys:
            self.report.skip(f"index {dump.name}: option {item.key}={item.value!r}",
                             item.reason)
        index_type = requested.pop("type")
        if index_type == Index.STAGE and "bases" in requested:
            try:
                bases = to_list(requested["bases"])
            except Invalid:
                bases = []
            kept = []
            for base in bases:
                if _bases_lookup(base) is not None:
                    kept.append(base)
                elif base in self.tree.indexes:
                    self.report.skip(f"index {dump.name}: base {base}",
                                     "the bases form a cycle (devpi-import refuses it too)")
                else:
                    self.report.skip(f"index {dump.name}: base {base}",
                                     "neither in the export nor here")
            requested["bases"] = kept
        if index_type == Index.MIRROR and not requested.get("mirror_url"):
            requested["mirror_url"] = settings.DEVPI.get("MIRROR_URL") or DEVPI_DEFAULT_MIRROR_URL
            self.report.notes.append(f"index {dump.name}: the export names no mirror_url; "
                                     f"using {requested['mirror_url']}")
        owner = dump.user
        build = lambda data: build_config(  # noqa: E731
            index_type=index_type, owner=owner, fullname=dump.name, current=None,
            requested=data, get_bases=_bases_lookup)
        try:
            return build(requested)
        except Invalid:
            pass
        good = {}
        for key, value in requested.items():
            try:
                build({**good, key: value})
            except Invalid as exc:
                self.report.skip(f"index {dump.name}: option {key}={value!r}", exc.message)
            else:
                good[key] = value
        return build(good)

    # -- projects, releases, files ----------------------------------------------
    def index_data(self, dump: IndexDump, index: Index) -> None:
        by_project: dict[str, list[FileDesc]] = {}
        for desc in dump.files:
            by_project.setdefault(normalize_name(desc.project), []).append(desc)
        names = list(dump.projects) + [p for p in by_project if p not in dump.projects]
        before = (sum(self.report.created.values()), sum(self.report.unchanged.values()))
        for name in names:
            self.project(dump, index, name, dump.projects.get(name, {}), by_project.get(name, []))
        created = sum(self.report.created.values()) - before[0]
        unchanged = sum(self.report.unchanged.values()) - before[1]
        self.progress(f"index {dump.name}: {len(names)} projects, {created} objects created, "
                      f"{unchanged} already there")

    def project(self, dump: IndexDump, index: Index, name: str, versions: dict[str, dict],
                descs: list[FileDesc]) -> None:
        report = self.report
        releasefiles = [d for d in descs if d.type == RELEASEFILE]
        attached = [d for d in descs if d.type in (TOXRESULT, DOCZIP)]
        for desc in descs:
            if desc.type not in (RELEASEFILE, TOXRESULT, DOCZIP):
                report.skip(f"{dump.name}: {desc.relpath}", f"unknown file type {desc.type!r}")
        verified = [v for v in (self._verify(dump, index, d) for d in releasefiles) if v]
        display = _display_name(name, versions)
        before = sum(report.created.values())
        with transaction.atomic():
            project, created = Project.objects.get_or_create(
                index=index, name=name, defaults={"display_name": display})
            (report.created if created else report.unchanged)["projects"] += 1
            releases = {r.version: r for r in Release.objects.filter(project=project)}
            for version, versiondata in versions.items():
                self._release(dump, project, releases, version, versiondata)
            for item in verified:
                self._release_file(dump, index, project, releases, item)
            if sum(report.created.values()) != before:
                serial_bump(index.id)
        for desc in attached:
            self._attachment(dump, index, project, releases, desc)
        if self.counter is not None:
            self.counter.advance(len(descs))

    def _release(self, dump, project, releases, version, versiondata) -> Release:
        data = mapping.release_from_devpi(versiondata, project=project.display_name,
                                          version=version)
        release = releases.get(version)
        if release is None:
            release = Release.objects.create(project=project, version=version,
                                             metadata=data.metadata, yanked=data.yanked,
                                             yanked_reason=data.yanked_reason)
            description_schedule(release)
            releases[version] = release
            self.report.created["releases"] += 1
            return release
        self.report.unchanged["releases"] += 1
        if (release.metadata, release.yanked, release.yanked_reason) != (
                data.metadata, data.yanked, data.yanked_reason):
            self.report.kept.append(Skipped(f"{dump.name}: {project.name} {version}",
                                            "release metadata differs"))
        return release

    def _release_for_file(self, dump, project, releases, desc) -> Release:
        version = desc.version
        if version not in releases and version and "_" in version \
                and version.replace("_", "-") in releases:
            version = version.replace("_", "-")  # as devpi-import guesses
        release = releases.get(version)
        if release is None:
            self.report.notes.append(f"{dump.name}: {desc.basename}: no metadata for version "
                                     f"{version} in the export; registered name and version")
            release = self._release(dump, project, releases, version,
                                    {"name": project.display_name, "version": version})
        return release

    def _verify(self, dump: IndexDump, index: Index, desc: FileDesc) -> _VerifiedFile | None:
        """Hash-check a release file and store its blob; None: skipped or
        already here."""
        what = f"{dump.name}: {desc.basename}"
        try:
            check_plain_filename(desc.basename)
        except InvalidFilename as exc:
            self.report.skip(what, str(exc))
            return None
        if not desc.version:
            self.report.skip(what, "the export gives no version for it")
            return None
        recorded = desc.hashes.get("sha256")
        existing = ReleaseFile.objects.filter(index=index, filename=desc.basename).only(
            "sha256").first()
        if existing is not None and recorded and existing.sha256 == recorded:
            self.report.unchanged["release files"] += 1
            return None
        if recorded and RemovedFile.objects.filter(index=index, filename=desc.basename,
                                                   sha256=recorded).exists():
            self.report.skip(what, "it was removed here after an earlier import")
            return None
        checked = self._check(dump, desc)
        if checked is None:
            return None
        sha256, size, path = checked
        if existing is not None:
            if existing.sha256 == sha256:
                self.report.unchanged["release files"] += 1
            else:
                self.report.kept.append(Skipped(what, "a file with other content has this "
                                                      "name here"))
            return None
        return _VerifiedFile(desc, path, sha256, size)

    def _check(self, dump: IndexDump, desc: FileDesc, *, store: bool = True):
        """(sha256, size, path) of a file whose recorded hashes match (and,
        with ``store``, whose blob is stored); None (reported) otherwise."""
        what = desc.relpath
        try:
            path = member_path(self.tree, desc.relpath)
        except ImportExportError as exc:
            self.report.skip(what, exc.message)
            return None
        if not path.is_file():
            self.report.skip(what, "the file is missing from the export")
            return None
        with path.open("rb") as f:
            check = check_file(f, desc.hashes)
            if check.error:
                self.report.skip(what, f"hash mismatch: {check.error}")
                return None
            if not desc.hashes:
                self.report.notes.append(f"{what}: the export records no hash; stored unverified")
            if store:
                blob_put(f, check.sha256)
        return check.sha256, check.size, path

    def _release_file(self, dump, index, project, releases, item: _VerifiedFile) -> None:
        desc = item.desc
        release = self._release_for_file(dump, project, releases, desc)
        dist, core_metadata = self._inspect(dump, item, release.version)
        requires_python = release.metadata.get("requires_python") or ""
        if not requires_python and core_metadata is not None:
            value = parse_core_metadata(core_metadata).get("requires-python", "")
            requires_python = value if isinstance(value, str) else ""
        log = desc.log if desc.log is not None else [mapping.import_log_entry(dump.name)]
        ReleaseFile.objects.create(
            release=release, index=index, filename=desc.basename, sha256=item.sha256,
            size=item.size, packagetype=dist.packagetype if dist else "",
            pyversion=(dist.pyversion if dist else "")[:64],
            requires_python=str(requires_python)[:255], core_metadata=core_metadata,
            core_metadata_sha256=hashlib.sha256(core_metadata).hexdigest()
            if core_metadata is not None else "",
            uploaded_at=(mapping.parse_http_date(desc.last_modified)
                         or mapping.log_time(log) or timezone.now()),
            uploader=mapping.log_who(log)[:150], log=log)
        self.report.created["release files"] += 1
        self.progress(f"{dump.name}: {desc.basename}: imported")

    def _inspect(self, dump, item: _VerifiedFile, version: str
                 ) -> tuple[DistFilename | None, bytes | None]:
        try:
            dist = parse_filename(item.desc.basename, version_hint=version)
        except InvalidFilename as exc:
            self.report.notes.append(f"{dump.name}: {item.desc.basename}: {exc}; imported "
                                     "without a package type")
            return None, None
        if dist.packagetype != "bdist_wheel":
            return dist, None
        with open(item.path, "rb") as f:
            try:
                return dist, inspect_archive(f, dist, archive_limits())
            except InvalidArchive as exc:
                self.report.notes.append(f"{dump.name}: {item.desc.basename}: {exc}; imported "
                                         "without core metadata")
                return dist, None

    # -- tox results and documentation ------------------------------------------
    def _attachment(self, dump, index, project, releases, desc: FileDesc) -> None:
        kind = "tox results" if desc.type == TOXRESULT else "doc zips"
        what = desc.relpath
        handler = attachment_handler(desc.type)
        if handler is None:
            self.report.skip(what, f"this server does not store {kind} (yet)")
            return
        release = releases.get(desc.version or "")
        if release is None:
            self.report.skip(what, f"no release {desc.version} of {project.name} here")
            return
        release_file = None
        if desc.type == TOXRESULT:
            release_file = ReleaseFile.objects.filter(
                index=index, release=release, filename=desc.for_basename or "").first()
            if release_file is None:
                self.report.skip(what, f"the file it is for ({desc.for_basename}) is not here")
                return
        checked = self._check(dump, desc, store=False)
        if checked is None:
            return
        sha256, size, path = checked
        log = desc.log if desc.log is not None else [mapping.import_log_entry(dump.name)]
        with open(path, "rb") as f:
            item = AttachmentIn(index=index, release=release, release_file=release_file,
                                filename=desc.basename, sha256=sha256, size=size, content=f,
                                log=log, uploaded_at=mapping.parse_http_date(desc.last_modified)
                                or mapping.log_time(log) or timezone.now())
            try:
                created = handler.import_file(item)
            except DevpiError as exc:
                self.report.skip(what, exc.message)
                return
        if created:
            self.report.created[kind] += 1
            self.progress(f"{dump.name}: {desc.basename}: imported")
        else:
            self.report.unchanged[kind] += 1


def _display_name(name: str, versions: dict[str, dict]) -> str:
    for data in versions.values():
        value = data.get("name")
        if isinstance(value, str) and value and normalize_name(value) == name:
            return value
    return name
