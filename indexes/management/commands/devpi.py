"""``manage.py devpi <verb>``: devpi-client's verbs, acting directly on this
server's database as ``--as USER`` (default root). ``install`` and ``test``
talk HTTP to the running server with a short-lived token of that user.

Argument parsing and output lines only: the logic lives in services,
selectors and ``indexes.cli``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from indexes import permissions, project_status, selectors
from indexes.audit import AuditContext, audit_context
from indexes.cli import current, getjson as getjson_mod, listing, procs, pypirc
from indexes.cli import docs as cli_docs
from indexes.cli import removal as cli_removal
from indexes.cli import testing, upload as cli_upload
from indexes.cli.progress import Progress
from indexes.cli.keyvalues import check_keyvalues, keyvalue_dict, split_name_and_keyvalues
from indexes.cli.server import Credentials, index_url, masked, server_url, simple_url
from indexes.cli.show import index_config_lines, index_list_line, user_config_lines
from indexes.cli.specs import parse_release, parse_spec
from indexes.distribution.names import normalize_name
from indexes.errors import DevpiError, Forbidden, Invalid
from indexes.services import indexes as index_services
from indexes.services import project_status as project_status_services
from indexes.services import removal as removal_services
from indexes.services import tokens as token_services
from indexes.services import users as user_services

PROG = "manage.py devpi"
VERBS = {
    "quickstart": "create a user and its 'dev' index (bases=root/pypi) and use that index",
    "use": "show or set the current index (kept in the data dir)",
    "user": "create, modify, delete, list or show users",
    "index": "create, modify, delete, list or show indexes",
    "getjson": "show devpi's JSON for a path: /, /USER, /USER/INDEX, ...",
    "upload": "build the project here (python -m build) or take release files, and upload",
    "list": "list projects of the index, or the files of a project's versions",
    "remove": "remove a project, versions or one file from the index",
    "project-status": "show or set a project's PEP 792 status (active, archived, deprecated, "
                      "quarantined) on the index",
    "push": "copy a release with its files to another index or to a .pypirc repository",
    "test": "download a release over HTTP, run tox on it and post the report",
    "install": "pip install packages from the index (over HTTP)",
    "import": "import a directory written by devpi-server's devpi-export (root only)",
    "export": "export everything in devpi-export's format, for devpi-import (root only)",
    "token": "create, list or revoke API tokens (scoped passwords for CI) of the --as user",
    "refresh": "renew mirror pages of projects from upstream (on a Celery worker if there is one)",
    "prefetch": "fetch the newest files of requirements into a mirror, to work offline",
}


class Command(BaseCommand):
    help = ("devpi-client's verbs run on the server itself. Commands act on the database as "
            "--as USER (default root); 'install' and 'test' talk HTTP to the server at "
            "DEVPI_OUTSIDE_URL, else http://DEVPI_HOST:DEVPI_PORT, with a short-lived token of "
            "that user. The current index ('use') is kept in the data dir; --index overrides "
            "it per command.")
    stealth_options = ("stdin",)

    # -- arguments -----------------------------------------------------------------
    def add_arguments(self, parser):
        parser.add_argument("--as", dest="acting_user", default=None, metavar="USER",
                            help="the user who acts (default: root); also accepted after "
                                 "the verb")
        common = argparse.ArgumentParser(add_help=False)
        common.add_argument("--as", dest="acting_user", default=argparse.SUPPRESS,
                            metavar="USER", help="the user who acts (default: root)")
        verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True,
                                      title="verbs")

        def verb(name: str, description: str | None = None):
            return verbs.add_parser(name, parents=[common], help=VERBS[name],
                                    description=description or VERBS[name] + ".")

        p = verb("quickstart", "Create a user (password empty unless given) and its index "
                               "(default 'dev') with bases=root/pypi, then use that index.")
        p.add_argument("--user", default=None,
                       help="name of the user to create (default: your login name)")
        p.add_argument("--password", default="", help="its password (default: empty)")
        p.add_argument("--index", dest="index_name", default="dev", metavar="NAME",
                       help="name of the index to create (default: dev)")

        p = verb("use", "Without arguments show the current index and its URLs. With an "
                        "index, make it current. -l lists all indexes.")
        p.add_argument("url", nargs="?", metavar="INDEX",
                       help="USER/NAME, /USER/NAME, NAME (an index of the --as user) or a URL "
                            "of this server; a URL without an index path unsets the current "
                            "index")
        p.add_argument("-l", "--list", action="store_true",
                       help="list all indexes of the server")
        p.add_argument("-u", "--user", default=None,
                       help="with -l, only the indexes of this user")
        p.add_argument("--delete", action="store_true",
                       help="forget the current index (remove the state file)")

        p = verb("user", "Without options show a user (default: the --as user). key=value "
                         "items: password, email, title, description.")
        group = p.add_mutually_exclusive_group()
        group.add_argument("-c", "--create", action="store_true", help="create a user")
        group.add_argument("--delete", action="store_true", help="delete a user")
        group.add_argument("-m", "--modify", action="store_true", help="modify a user")
        group.add_argument("-l", "--list", action="store_true", help="list user names")
        p.add_argument("-y", dest="yes", action="store_true",
                       help="assume 'yes' on confirmation questions")
        p.add_argument("username", nargs="?", help="user name")
        p.add_argument("keyvalues", nargs="*", metavar="key=value",
                       help="configuration items, e.g. password=... email=...")

        p = verb("index", "Without options show an index (default: the current index). "
                          "'index NAME key=value ...' modifies it with devpi-client's items: "
                          "key=value sets, key+=value adds to a list, key-=value removes from "
                          "a list, key-= resets to the default. acl_read=USER,:GROUP: makes an index "
                          "private (readers: also limited by the bases; default :ANONYMOUS:).")
        group = p.add_mutually_exclusive_group()
        group.add_argument("-c", "--create", action="store_true", help="create an index")
        group.add_argument("--delete", action="store_true", help="delete an index")
        group.add_argument("-m", "--modify", action="store_true",
                           help="modify an index (also without -m when key=value items follow)")
        group.add_argument("-l", "--list", action="store_true",
                           help="list the indexes of a user (NAME, default: the --as user)")
        p.add_argument("-y", dest="yes", action="store_true",
                       help="assume 'yes' on confirmation questions")
        p.add_argument("indexname", nargs="?", metavar="NAME",
                       help="index as NAME (of the --as user) or USER/NAME; default: the "
                            "current index")
        p.add_argument("keyvalues", nargs="*", metavar="key=value",
                       help="e.g. bases=USER/NAME,... volatile=False acl_upload+=USER")

        p = verb("getjson", "Show devpi's JSON for a path of this server, read from the "
                            "database: /, /USER, /USER/INDEX, /USER/INDEX/PROJECT or "
                            "/USER/INDEX/PROJECT/VERSION. A relative path is relative to the "
                            "current index.")
        p.add_argument("path", metavar="PATH_OR_URL", help="e.g. /USER/INDEX or PROJECT")

        p = verb("upload", "Without paths, build an sdist and a wheel of the project in the "
                           "current directory (or its nearest parent with pyproject.toml, "
                           "setup.py or setup.cfg) with 'python -m build --no-isolation' and "
                           "upload them. With paths, upload those release files (and "
                           "NAME-VERSION.doc.zip documentation).")
        p.add_argument("--index", default=None, help="index to upload to (default: current)")
        p.add_argument("--from-dir", dest="from_dir", action="store_true",
                       help="look for release files in the given directories, recursively")
        p.add_argument("--only-latest", dest="only_latest", action="store_true",
                       help="per project, upload only the files of its newest version")
        p.add_argument("--dry-run", dest="dry_run", action="store_true",
                       help="show what would be uploaded, upload nothing")
        p.add_argument("--with-docs", dest="with_docs", action="store_true",
                       help="also build Sphinx docs (conf.py in doc/, docs/ or source/, or "
                            "their source/) with sphinx-build and upload them")
        p.add_argument("--only-docs", dest="only_docs", action="store_true",
                       help="as --with-docs, without building or uploading release files")
        p.add_argument("-p", "--python", default=None, metavar="PYTHON_EXE",
                       help="Python interpreter that runs the build (default: this one)")
        p.add_argument("--sdist", action="store_true", help="build only an sdist")
        p.add_argument("--wheel", action="store_true", help="build only a wheel")
        p.add_argument("--no-isolation", dest="no_isolation", action="store_true",
                       help="accepted for devpi-client compatibility: builds always run "
                            "without isolation")
        p.add_argument("path", nargs="*", type=Path,
                       help="release files (or, with --from-dir, directories)")

        p = verb("list", "Without a spec, list the projects of the index. With NAME or "
                         "'NAME==VERSION' (any specifier), list the URLs of the files of the "
                         "matching versions, newest first, per index along the inheritance.")
        p.add_argument("-t", "--toxresults", action="store_true",
                       help="show tox results under each file")
        p.add_argument("--all", action="store_true",
                       help="show all versions instead of the newest three")
        p.add_argument("--index", default=None, help="index to look at (default: current)")
        p.add_argument("--ignore-bases", dest="ignore_bases", action="store_true",
                       help="ignore releases from inherited bases")
        p.add_argument("spec", nargs="?", help="NAME, NAME==VERSION or e.g. 'NAME>=1.0'")

        p = verb("project-status",
                 "Without STATUS show the project's status on the index (its own, or the one "
                 "it inherits). With STATUS set it, as the index owner or root (on a mirror "
                 "index root only): archived refuses uploads; quarantined lists no files and "
                 "refuses their downloads on the index and on every index that inherits "
                 "from it; deprecated is informational; active is the default.")
        p.add_argument("--index", default=None, help="index to act on (default: current)")
        p.add_argument("--reason", default="", help="why (shown to installers and in the UI)")
        p.add_argument("name", help="project name")
        p.add_argument("status", nargs="?", help="active, archived, deprecated or quarantined")

        p = verb("remove", "Remove a project, the versions matching a spec, or a single file "
                           "(by URL) from the index itself, never from its bases. Asks for "
                           "confirmation unless -y. Non-volatile indexes refuse unless -f by "
                           "their owner or root.")
        p.add_argument("-y", dest="yes", action="store_true",
                       help="assume 'yes' on confirmation questions")
        p.add_argument("-f", "--force", action="store_true",
                       help="remove even on a non-volatile index (owner or root only)")
        p.add_argument("--index", default=None, help="index to remove from (default: current)")
        p.add_argument("spec_or_url", metavar="SPEC_OR_URL",
                       help="NAME, NAME==VERSION (any specifier), or a file URL")

        p = verb("push", "Copy a release and its files (tox results, docs) from the index to "
                         "another index (USER/NAME), or upload its files to the repository "
                         "of a .pypirc section (pypi:REPO).")
        p.add_argument("--index", default=None, help="index to push from (default: current)")
        p.add_argument("--no-docs", dest="no_docs", action="store_true",
                       help="do not push documentation, only release files")
        p.add_argument("--only-docs", dest="only_docs", action="store_true",
                       help="push only documentation, no release files")
        p.add_argument("--pypirc", default=None, metavar="PATH",
                       help="path to the .pypirc file (default: ~/.pypirc)")
        p.add_argument("--register-project", dest="register_project", action="store_true",
                       help="register the project before uploading to a pypi:REPO target")
        p.add_argument("pkgspec", metavar="NAME==VERSION", help="the release to push")
        p.add_argument("target", metavar="TARGET", help="USER/NAME or pypi:REPO")

        p = verb("test", "Download the newest matching release's sdist (and universal wheels) "
                         "from the index over HTTP, run 'tox --installpkg FILE --result-json "
                         "...' with the index as PIP_INDEX_URL, and post each report to its "
                         "file's URL.")
        p.add_argument("-e", dest="toxenv", default=None, metavar="ENVNAME",
                       help="tox environment to run")
        p.add_argument("-c", dest="toxini", default=None, metavar="PATH",
                       help="tox configuration file to use instead of the package's")
        p.add_argument("--fallback-ini", dest="fallback_ini", default=None, metavar="PATH",
                       help="tox configuration (path, or name in the package) to use when "
                            "the package has none")
        p.add_argument("--tox-args", dest="toxargs", default=None, metavar="ARGS",
                       help="extra tox arguments, e.g. --tox-args='-- -x'")
        p.add_argument("--no-upload", dest="upload_results", action="store_false",
                       help="do not post the tox reports")
        p.add_argument("--index", default=None, help="index to test from (default: current)")
        p.add_argument("-s", "--select", default=None, metavar="REGEX",
                       help="test the release files whose names match this regular expression "
                            "(default: sdists and universal wheels)")
        p.add_argument("-l", "--list", action="store_true",
                       help="only list the release files that would be tested")
        p.add_argument("pkgspec", nargs="+", help="e.g. NAME or NAME==VERSION")

        p = verb("install", "Run 'pip install -U -i <index>/+simple/' (pre-releases allowed, "
                            "as devpi-client does) with a token of the --as user.")
        p.add_argument("--index", default=None, help="index to install from (default: current)")
        p.add_argument("-l", dest="list_installed", action="store_true",
                       help="list the installed packages")
        p.add_argument("-e", dest="editable", default=None, metavar="ARG",
                       help="install a project in editable mode")
        p.add_argument("--venv", default=None, metavar="DIR",
                       help="install into this virtualenv (default: the pip on PATH)")
        p.add_argument("-r", "--requirement", action="store_true",
                       help="the arguments are requirements files")
        p.add_argument("pkgspecs", nargs="*", metavar="PKG", help="what to install")

        p = verb("import", "Import a devpi-server export directory: users with their password "
                           "hashes, indexes, releases, hash-checked files, tox results, docs. "
                           "What is here already is kept; a second run changes nothing.")
        p.add_argument("directory", help="the export directory (holds dataindex.json)")
        p = verb("token", "API tokens of the --as user: 'create' prints the secret once; "
                          "'list' shows them without secrets (root: of any --user); 'revoke "
                          "ID' ends one.")
        p.add_argument("action", choices=["create", "list", "revoke"])
        p.add_argument("token_id", nargs="?", metavar="ID", help="the token to revoke")
        p.add_argument("--scope", dest="scopes", action="append", default=None,
                       choices=["read", "upload", "toxresult"],
                       help="a scope of the new token (repeat for several; at least one)")
        p.add_argument("--index", dest="token_indexes", action="append", default=None,
                       metavar="USER/NAME",
                       help="an index the new token may be used on (repeat; default: all)")
        p.add_argument("--expires", type=int, default=None, metavar="SECONDS",
                       help="the new token expires after this many seconds (default: never)")
        p.add_argument("--description", default="", help="what the new token is for")
        p.add_argument("--user", dest="token_user", default=None,
                       help="list or revoke the tokens of this user (root; default: --as)")
        p = verb("export", "Write users, indexes, releases, files, tox results and docs to a "
                           "new (or empty) directory in devpi-export's format.")
        p.add_argument("directory", help="the export directory: must not exist or be empty")

        p = verb("refresh", "Renew the cached pages of PROJECTs on every mirror the index "
                            "reads from, whether or not they expired. With a broker the "
                            "refreshes are queued for a Celery worker (one per project, "
                            "however often asked); without, they run here.")
        p.add_argument("--index", default=None, metavar="INDEX",
                       help="a mirror, or an index with mirrors among its bases "
                            "(default: the current index)")
        p.add_argument("projects", nargs="+", metavar="PROJECT")
        p = verb("prefetch", "Fetch pages and the newest matching files of requirements "
                             "into the mirror the index reads from, so they install offline.")
        p.add_argument("--index", default=None, metavar="INDEX",
                       help="a mirror, or an index with a mirror among its bases "
                            "(default: the current index)")
        p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE",
                       help="a requirements file (may be given several times)")
        p.add_argument("requirements", nargs="*", metavar="REQ",
                       help="requirements such as 'name>=1.0'")

    # -- dispatch --------------------------------------------------------------------
    def handle(self, *args, **options):
        self.options = options
        # an unreachable upstream is reported once, as the command's error line;
        # the mirror's own warnings show with -v 2
        quiet = options.get("verbosity", 1) < 2
        mirror_log = logging.getLogger("mirror")
        level = mirror_log.level
        if quiet:
            mirror_log.setLevel(logging.ERROR)
        acting = options.get("acting_user") or "root"
        try:
            with audit_context(AuditContext(actor=acting, via="manage.py")):
                getattr(self, "do_" + options["verb"].replace("-", "_"))(options)
        except DevpiError as exc:
            raise CommandError(exc.message) from None
        except OSError as exc:  # a file or directory the command could not use
            raise CommandError(str(exc)) from None
        finally:
            mirror_log.setLevel(level)

    def line(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def warn(self, text: str) -> None:
        self.stderr.write(text)

    def confirmed_delete(self, url: str, done: str, delete) -> None:
        """devpi-client's removal dialogue: name it, ask (or -y), act."""
        self.line(f"About to remove: {url}")
        if self.confirm("Are you sure"):
            delete()
            self.line(done)
        else:
            self.warn("not deleting anything")

    def actor(self):
        return selectors.user_get(self.options.get("acting_user") or "root")

    def confirm(self, question: str) -> bool:
        prompt = f"{question} (yes/no)? "
        if self.options.get("yes"):
            self.line(prompt + "yes (autoset from -y option)")
            return True
        stdin = self.options.get("stdin") or sys.stdin
        while True:
            self.stdout.write(prompt, ending="")
            self.stdout.flush()
            answer = stdin.readline()
            if not answer:  # end of input: nobody said yes
                self.line()
                return False
            if answer.strip() in ("yes", "no"):
                return answer.strip() == "yes"
            self.warn(f"not a valid choice {answer.strip()!r}")

    # -- quickstart, use ---------------------------------------------------------------
    def do_quickstart(self, options):
        actor = self.actor()
        username = options["user"] or _login_name()
        if not permissions.may_create_user(actor):
            raise Forbidden(f"user {actor.username!r} may not create users")
        with transaction.atomic():
            user = user_services.user_create(username=username,
                                             data={"password": options["password"]})
            index = index_services.index_create(owner=user, name=options["index_name"],
                                                data={"bases": "root/pypi"})
        self.line(f"user created: {username}")
        for text in index_config_lines(index_url(index.fullname), selectors.index_config(index)):
            self.line(text)
        current.set_current_index(index.fullname)
        self.show_current(actor)
        cmd = f"python {PROG} --as {username}"
        self.line(f"COMPLETED!  you can now work with your {index.fullname!r} index")
        for text in (f"  {cmd} install PKG   # install a package through the index",
                     f"  {cmd} upload        # build and upload the project here",
                     f"  {cmd} test PKG      # download and test a tox-based project",
                     f"  {cmd} push ...      # copy releases between indexes",
                     f"  {cmd} index ...     # create and change indexes",
                     f"  {cmd} use ...       # change the current index",
                     f"  {cmd} user ...      # create and change users",
                     f"  python {PROG} VERB -h  # help for a verb"):
            self.line(text)

    def show_current(self, actor) -> None:
        name = current.current_index_name()
        if name is None:
            self.line(f"using server: {server_url()}/ (acting as {actor.username})")
            self.warn(f"no current index: type 'python {PROG} use -l' to discover indexes")
            return
        index = selectors.index_get_by_fullname(name)
        self.line(f"current devpi index: {index_url(index.fullname)} "
                  f"(acting as {actor.username})")
        self.line(f"{'simpleindex':>19}: {simple_url(index.fullname)}")
        if not index.is_mirror:
            self.line(f"{'pypisubmit':>19}: {index_url(index.fullname)}/")
        self.line(f"{'pip':>19}: pip install -i {simple_url(index.fullname)} PKG")

    def do_use(self, options):
        actor = self.actor()
        if options["delete"]:
            if not current.forget_state():
                raise Invalid("NO configuration found")
            self.line(f"REMOVED configuration at {current.state_path()}")
            return
        if options["list"]:
            configs = selectors.users_configs()
            if options["user"]:
                configs = {options["user"]: selectors.user_config(
                    selectors.user_get(options["user"]))}
            for user in sorted(configs):
                for name, config in sorted(configs[user].get("indexes", {}).items()):
                    self.line(index_list_line(f"{user}/{name}", config))
            return
        spec = options["url"]
        if spec:
            if current.index_spec_path(spec).strip("/") == "":
                current.set_current_index(None)
            else:
                index = current.index_for(spec, acting=actor.username)
                current.set_current_index(index.fullname)
        self.show_current(actor)

    # -- user, index, getjson ----------------------------------------------------------
    def do_user(self, options):
        actor = self.actor()
        name, items = split_name_and_keyvalues(options["username"], options["keyvalues"])
        if options["list"]:
            for username in sorted(selectors.users_configs()):
                self.line(username)
            return
        if (options["create"] or options["delete"]) and not name:
            raise Invalid("need to specify a username")
        if options["create"]:
            if not permissions.may_create_user(actor):
                raise Forbidden(f"user {actor.username!r} may not create users")
            user_services.user_create(username=name, data=keyvalue_dict(items))
            self.line(f"user created: {name}")
            return
        if options["delete"]:
            if items:
                raise Invalid("cannot delete if you specify key=values")
            user = selectors.user_get(name)
            if not permissions.may_delete_user(actor, name):
                raise Forbidden(f"user {actor.username!r} may not delete user {name!r}")
            self.confirmed_delete(f"{server_url()}/{name}", f"user deleted: {name}",
                                  lambda: user_services.user_delete(user=user))
            return
        name = name or actor.username
        if options["modify"] or items:
            data = keyvalue_dict(items)
            if not data:
                raise Invalid("nothing to modify: give key=value items")
            user = selectors.user_get(name)
            password_only = set(data) == {"password"}
            if not permissions.may_modify_user(actor, name, password_only=password_only):
                raise Forbidden(f"user {actor.username!r} may not modify user {name!r}")
            for key, value in sorted(data.items()):
                shown = "********" if key == "password" else value
                self.line(f"/{name} changing {key}: {shown}")
            user_services.user_modify(user=user, data=data)
            self.line(f"user modified: {name}")
            return
        user = selectors.user_get(name)
        for text in user_config_lines(f"{server_url()}/{name}", selectors.user_config(user)):
            self.line(text)

    def do_index(self, options):
        actor = self.actor()
        name, items = split_name_and_keyvalues(options["indexname"], options["keyvalues"])
        if options["list"]:
            username = (name or actor.username).strip("/")
            user = selectors.user_get(username)
            for ix in sorted(selectors.user_config(user).get("indexes", {})):
                self.line(f"{username}/{ix}")
            return
        if (options["create"] or options["delete"]) and not name:
            raise Invalid("need to explicitly specify index for deletion/creation")
        if options["create"]:
            fullname = current.resolve_index_name(name, acting=actor.username)
            owner_name, _, index_name = fullname.partition("/")
            owner = selectors.user_get(owner_name)
            if not permissions.may_create_index(actor, owner_name):
                raise Forbidden(f"user {actor.username!r} may not create index {fullname}")
            index = index_services.index_create(owner=owner, name=index_name,
                                                data=keyvalue_dict(items))
            self.show_index(index)
            return
        index = current.index_for(name, acting=actor.username)
        if options["delete"]:
            if items:
                raise Invalid("cannot delete if you specify key=values")
            if not permissions.may_modify_index(actor, index):
                raise Forbidden(f"user {actor.username!r} may not delete index {index.fullname}")
            url = index_url(index.fullname)
            self.confirmed_delete(url, f"index deleted: {url}",
                                  lambda: index_services.index_delete(index=index))
            return
        if options["modify"] or items:
            operations = check_keyvalues(items)
            if not operations:
                raise Invalid("nothing to modify: give key=value, key+=value or key-=value items")
            if not permissions.may_modify_index(actor, index):
                raise Forbidden(f"user {actor.username!r} may not modify index {index.fullname}")
            for op in operations:
                self.line(f"/{index.fullname} {op}")
            index = index_services.index_modify(index=index, data=operations)
        self.show_index(index)

    def show_index(self, index) -> None:
        for text in index_config_lines(index_url(index.fullname), selectors.index_config(index)):
            self.line(text)

    def do_getjson(self, options):
        data = getjson_mod.getjson(options["path"], current_index=current.current_index_name(),
                                   base_url=server_url(), reader=self.actor())
        self.line(json.dumps(data, indent=2, sort_keys=True))

    # -- upload, list, remove ----------------------------------------------------------
    def do_upload(self, options):
        actor = self.actor()
        index = current.index_for(options["index"], acting=actor.username)
        if not permissions.may_upload(actor, index):
            raise Forbidden(f"user {actor.username!r} may not upload to {index.fullname}")
        with_docs, only_docs = options["with_docs"], options["only_docs"]
        if options["path"]:
            if with_docs or only_docs:
                raise Invalid("--with-docs/--only-docs build the docs of the project here; "
                              "pass a NAME-VERSION.doc.zip as a path to upload built docs")
            paths = cli_upload.find_archives(options["path"], from_dir=options["from_dir"])
            docs = [(p, *cli_docs.doczip_name_version(p)) for p in paths
                    if cli_docs.is_doczip(p)]
            self.upload_files(index, actor, [p for p in paths if not cli_docs.is_doczip(p)],
                              docs, options)
            return
        if options["from_dir"]:
            raise Invalid("--from-dir needs a directory")
        project_dir = cli_upload.find_project_dir(Path.cwd())
        with tempfile.TemporaryDirectory(prefix="devpi-upload-") as tmp:
            outdir = Path(tmp) / "dist"
            built = [] if only_docs else self.build(project_dir, outdir, options)
            docs = []
            if with_docs or only_docs:
                docs.append(self.build_docs(project_dir, Path(tmp), built, options))
            self.upload_files(index, actor, built, docs, options)

    def build(self, project_dir: Path, outdir: Path, options) -> list[Path]:
        cmd = cli_upload.build_command(project_dir, outdir, python=options["python"],
                                       sdist=options["sdist"], wheel=options["wheel"])
        self.line(procs.command_line(cmd, project_dir))
        code = procs.run_streaming(cmd, write=self.line, cwd=project_dir)
        if code != 0:
            raise Invalid(f"build failed (exit code {code}): see its output above")
        built = sorted(p for p in outdir.iterdir() if cli_upload.is_archive(p)) \
            if outdir.is_dir() else []
        if not built:
            raise Invalid("nothing built!")
        for path in built:
            self.line(f"built: {path} {cli_upload.size_text(path)}")
        return built

    def build_docs(self, project_dir: Path, workdir: Path, built: list[Path], options):
        """Sphinx HTML of the project, zipped: (path, name, version)."""
        docs = cli_docs.find_doc_source(project_dir, workdir / "docs-html")
        sphinx_build = cli_docs.find_sphinx_build()
        if sphinx_build is None:
            raise Invalid("sphinx-build not found: install Sphinx to build docs")
        if built:
            archive = cli_upload.read_archive(built[0])
            name, version = archive.name, archive.version
        else:
            output: list[str] = []
            cmd = cli_docs.metadata_command(project_dir, options["python"])
            code = procs.run_streaming(cmd, write=output.append, cwd=project_dir)
            if code != 0:
                raise Invalid("could not read the project's name and version: "
                              + (output[-1] if output else f"exit code {code}"))
            name, version = cli_docs.parse_metadata_output("\n".join(output))
        cmd = cli_docs.sphinx_command(sphinx_build, docs)
        self.line(procs.command_line(cmd, project_dir))
        code = procs.run_streaming(cmd, write=self.line, cwd=project_dir)
        if code != 0:
            raise Invalid(f"sphinx-build failed (exit code {code}): see its output above")
        path = cli_docs.zip_tree(docs.output,
                                 workdir / "dist" / f"{normalize_name(name)}-{version}.doc.zip")
        self.line(f"built: {path} [sphinx docs] {cli_upload.size_text(path)}")
        return path, name, version

    def upload_files(self, index, actor, paths, docs, options) -> None:
        archives = [cli_upload.read_archive(p) for p in paths]
        if options["only_latest"]:
            archives = cli_upload.only_latest(archives)
            docs = cli_docs.only_latest(docs)
        if not archives and not docs:
            raise Invalid("no release files found")
        target = f"{index_url(index.fullname)}/"
        for archive in archives:
            if options["dry_run"]:
                self.line(f"skipped (dry run): file_upload of {archive.path.name} to {target}")
                continue
            result = cli_upload.upload_archive(index=index, user=actor, archive=archive)
            note = "" if result.created else " (identical file was there already)"
            self.line(f"file_upload of {archive.path.name} to {target}{note}")
        for path, name, version in docs:
            if options["dry_run"]:
                self.line(f"skipped (dry run): doc_upload of {path.name} to {target}")
                continue
            result = cli_docs.upload_doczip(index=index, user=actor, path=path, name=name,
                                            version=version)
            note = "" if result.created else " (identical file was there already)"
            self.line(f"doc_upload of {path.name} to {target}{note}")

    def do_list(self, options):
        actor = self.actor()
        index = current.index_for(options["index"], acting=actor.username)
        if not permissions.may_read(actor, index):
            raise Forbidden(f"user {actor.username!r} may not read {index.fullname}")
        if not options["spec"]:
            for name in selectors.index_project_names(index):
                self.line(name)
            return
        spec = parse_spec(options["spec"])
        rows = listing.project_files(index, spec, server_url(),
                                     ignore_bases=options["ignore_bases"])
        shown, hidden = listing.limit_versions(rows, options["all"])
        for _version, files in shown:
            for item in files:
                self.line(item.url)
                if options["toxresults"]:
                    for text in listing.toxresult_lines(item.file):
                        self.line(text)
        if hidden:
            self.line(f"{hidden} older versions not shown, use --all to see")

    def do_project_status(self, options):
        actor = self.actor()
        index = current.index_for(options["index"], acting=actor.username)
        if options["status"] is not None:
            row = project_status_services.project_status_set(
                index=index, project=options["name"], user=actor,
                data={"status": options["status"], "reason": options["reason"]})
            self.line(f"{row.name} on {index.fullname}: {row.status}"
                      + (f" ({row.reason})" if row.reason else ""))
            return
        if not permissions.may_read(actor, index):
            raise Forbidden(f"user {actor.username!r} may not read {index.fullname}")
        status = project_status.status_of(index, normalize_name(options["name"]))
        if status is None:
            self.line(f"{normalize_name(options['name'])} on {index.fullname}: active")
        else:
            where = f" (set on {status.index})" if status.index != index.fullname else ""
            self.line(f"{normalize_name(options['name'])} on {index.fullname}: {status.status}"
                      + where + (f" ({status.reason})" if status.reason else ""))

    def do_remove(self, options):
        actor = self.actor()
        force = options["force"]
        target = options["spec_or_url"]
        if target.startswith(("http://", "https://")):
            index, file = cli_removal.file_for_url(target)
            cli_removal.check_removal(index, actor, force)
            self.line("About to remove the following file:")
            self.line(target)
            if not self.confirm("Are you sure"):
                self.warn("not deleting anything")
                return
            removal_services.release_file_delete(index=index, file=file, force=force)
            self.line(f"deleted {file.filename} from {index.fullname}")
            return
        index = current.index_for(options["index"], acting=actor.username)
        spec = parse_spec(target)
        plan = cli_removal.plan_release_removal(index, spec, server_url())
        if not plan.versions:
            raise Invalid(f"No releases or distributions found matching {target!r} on "
                          f"{index.fullname}.")
        cli_removal.check_removal(index, actor, force)
        self.line("About to remove the following releases and distributions")
        for version, urls in plan.versions:
            self.line(f"version: {version}")
            for url in urls:
                self.line(f"  - {url}")
        if not self.confirm("Are you sure"):
            self.warn("not deleting anything")
            return
        cli_removal.remove_releases(plan, force=force, progress=self.line)

    # -- push ----------------------------------------------------------------------------
    def do_push(self, options):
        actor = self.actor()
        name, version, old_style = parse_release(options["pkgspec"])
        if old_style:
            self.warn("Old style package specification is deprecated, use this form: "
                      "your-pkg-name==your.version.specifier")
        if options["no_docs"] and options["only_docs"]:
            raise Invalid("can't use '--no-docs' and '--only-docs' together")
        source = current.index_for(options["index"], acting=actor.username)
        target = options["target"]
        push = _push_service()
        try:
            if target.startswith("pypi:"):
                path = Path(options["pypirc"]) if options["pypirc"] else pypirc.default_pypirc()
                repository = pypirc.read_repository(path, target[len("pypi:"):])
                self.line(f"using pypirc {path}")
                if repository.default_url:
                    self.line(f"using default pypi url {repository.url}")
                actions = push.release_push_external(
                    source=source, project=name, version=version, posturl=repository.url,
                    username=repository.username, password=repository.password, user=actor,
                    no_docs=options["no_docs"], only_docs=options["only_docs"],
                    register_project=options["register_project"])
            else:
                if options["register_project"]:
                    raise Invalid("--register-project only applies to pypi:REPO targets")
                if target.strip("/").count("/") != 1:
                    raise Invalid(f"target {target!r} not of form USER/NAME or pypi:REPONAME")
                actions = push.release_push(
                    source=source, project=name, version=version,
                    target=selectors.index_get_by_fullname(target), user=actor,
                    no_docs=options["no_docs"], only_docs=options["only_docs"])
        except DevpiError as exc:
            # an external push that failed part way says how far it got
            self.show_actions(getattr(exc, "actionlog", None) or [])
            raise
        if not self.show_actions(actions):
            raise CommandError("Failure during push")

    def show_actions(self, actions) -> bool:
        """Print devpi's actionlog lines; False if any of them failed."""
        ok = True
        for action in actions:
            for part in " ".join(str(item) for item in action).split("\n"):
                self.line("   " + part)
            ok = ok and str(action[0]) in ("200", "201", "410")
        return ok

    # -- test, install (HTTP) ------------------------------------------------------------
    def do_test(self, options):
        actor = self.actor()
        index = current.index_for(options["index"], acting=actor.username)
        tox = testing.find_tox()
        if tox is None and not options["list"]:
            raise Invalid("no tox binary found: install tox next to this Python or on PATH")
        credentials = Credentials(actor)
        http = testing.Http(credentials.headers())
        simpleindex = credentials.url(simple_url(index.fullname))
        failures: list[str] = []
        for text in options["pkgspec"]:
            spec = parse_spec(text)
            version, links = testing.matching_release(http, index_url(index.fullname), spec)
            sdists, wheels, warnings = testing.select_links(links, options["select"])
            for warning in warnings:
                self.warn(warning)
            if options["list"]:
                self.line("would test:")
                for link in sdists + wheels:
                    self.line(f"   {link.href}")
                continue
            with tempfile.TemporaryDirectory(prefix="devpi-test-") as tmp:
                failures += self.run_tox(Path(tmp), tox, http, simpleindex, spec, version,
                                         sdists, wheels, options)
        if failures:
            raise CommandError("; ".join(failures))

    def run_tox(self, workdir: Path, tox: str, http, simpleindex: str, spec, version: str,
                sdists, wheels, options) -> list[str]:
        downloads = workdir / "downloads"
        runs = []
        for n, link in enumerate(sdists + wheels):
            archive = http.download(link.href, downloads / link.basename)
            self.line(f"received {link.href}")
            if link in sdists:
                target = workdir / f"unpacked{n}"
                self.line(f"unpacking {archive} to {target}")
                package = testing.package_dir(testing.unpack(archive, target), spec.name,
                                              version)
                config = testing.tox_config(package, explicit=options["toxini"],
                                            fallback=options["fallback_ini"])
            else:  # wheels hold no tox configuration: the first sdist's is used
                package, config = runs[0][2], runs[0][3]
            runs.append((link, archive, package, config))
        failures = []
        extra = shlex.split(options["toxargs"]) if options["toxargs"] else []
        for n, (link, archive, package, config) in enumerate(runs):
            report = workdir / f"toxreport{n}.json"
            cmd = testing.tox_command(tox, installpkg=archive, report=report, config=config,
                                      envname=options["toxenv"], extra=extra)
            self.line(procs.command_line(cmd, package)
                      + f"  [PIP_INDEX_URL={masked(simpleindex)}]")
            code = procs.run_streaming(cmd, write=self.line, cwd=package,
                                       extra_env={"PIP_INDEX_URL": simpleindex})
            if options["upload_results"] and report.is_file():
                self.line(f"posting tox result data to {link.href}")
                reply = http.post_json(link.href, report.read_bytes())
                if reply.status_code == 200:
                    self.line("successfully posted tox result data")
                else:
                    failures.append(f"could not post tox result data to {link.href}: "
                                    f"{reply.status_code} {testing.message_of(reply)}")
            elif options["upload_results"]:
                failures.append(f"tox wrote no report for {link.basename}")
            if code != 0:
                failures.append(f"tox command failed {code} for {link.basename}")
        return failures

    def do_install(self, options):
        actor = self.actor()
        index = current.index_for(options["index"], acting=actor.username)
        pip = _pip_command(options["venv"])
        if options["list_installed"]:
            code = procs.run_streaming(pip + ["list"], write=self.line)
            if code != 0:
                raise Invalid(f"pip list failed (exit code {code})")
            return
        pkgspecs = list(options["pkgspecs"])
        if options["editable"]:
            if pkgspecs:
                raise Invalid("cannot specify packages and --editable")
            pkgspecs = ["--editable", options["editable"]]
        if not pkgspecs:
            raise Invalid("nothing to install: name a package (or -l to list installed ones)")
        simpleindex = Credentials(actor).url(simple_url(index.fullname))
        cmd = pip + ["install", "-U", "-i", simpleindex]
        if options["requirement"]:
            cmd.append("--requirement")
        cmd.extend(pkgspecs)
        shown = [masked(part) if part == simpleindex else part for part in cmd]
        self.line(procs.command_line(shown, Path.cwd()) + "  [PIP_PRE=1]")
        code = procs.run_streaming(cmd, write=self.line, extra_env={"PIP_PRE": "1"})
        if code != 0:
            raise Invalid(f"pip install failed (exit code {code})")

    # -- import, export (indexes.importexport) ---------------------------------------------
    # -- token ---------------------------------------------------------------------------
    def do_token(self, options):
        actor = self.actor()
        owner_name = options["token_user"] or actor.username
        if options["action"] == "create":
            if not permissions.may_create_token(actor, owner_name):
                raise Forbidden(f"user {actor.username!r} may not create tokens for "
                                f"{owner_name!r}")
            data = {"description": options["description"], "scopes": options["scopes"] or []}
            if options["token_indexes"]:
                data["indexes"] = options["token_indexes"]
            if options["expires"] is not None:
                data["expires"] = options["expires"]
            token, secret = token_services.api_token_create(owner=actor, data=data)
            self.line(f"token created: {token.public_id} (user {actor.username}, scopes "
                      f"{','.join(token.scopes)}, indexes "
                      f"{','.join(token.indexes) if token.indexes else 'all'})")
            self.line("the token is shown only this once:")
            self.line(secret)
            return
        if not permissions.may_manage_tokens(actor, owner_name):
            raise Forbidden(f"user {actor.username!r} may not manage the tokens of "
                            f"{owner_name!r}")
        owner = selectors.user_get(owner_name)
        if options["action"] == "list":
            for t in token_services.api_tokens_list(owner=owner):
                self.line(f"{t['id']} {t['state']} scopes={','.join(t['scopes'])} indexes="
                          f"{','.join(t['indexes']) if t['indexes'] else 'all'} "
                          f"expires={t['expires'] or 'never'} {t['description']}".rstrip())
            return
        if not options["token_id"]:
            raise Invalid("need the id of the token to revoke")
        token = token_services.api_token_revoke(owner=owner, token_id=options["token_id"])
        self.line(f"token revoked: {token.public_id}")

    def do_import(self, options):
        self._importexport("devpi_import", options["directory"])

    def do_export(self, options):
        self._importexport("devpi_export", options["directory"])

    def _importexport(self, function: str, directory: str) -> None:
        from importexport.errors import ImportExportError
        from importexport.exporter import devpi_export
        from importexport.importer import devpi_import

        if not self.actor().is_superuser:
            raise Forbidden("import and export act on the whole server: root only")
        counter = Progress(function.removeprefix("devpi_"), out=self.stdout, err=self.stderr)
        run = devpi_import if function == "devpi_import" else devpi_export
        try:
            report = run(directory, progress=counter.line, counter=counter)
        except ImportExportError as exc:
            raise CommandError(exc.message) from None
        finally:
            counter.close()
        for text in report.lines():
            self.line(text)
        self.line(counter.summary())


    # -- refresh, prefetch (the mirror kind, indexes.kinds) ----------------------------
    def do_refresh(self, options):
        from indexes.cli.mirrors import mirrors_of
        from indexes.kinds import kind_for

        index = current.index_for(options["index"], acting=self.actor().username)
        mirrors = mirrors_of(index)
        for project in options["projects"]:
            name = normalize_name(project)
            for mirror in mirrors:
                try:
                    what = kind_for(mirror).refresh(mirror, name)
                except DevpiError as exc:
                    what = f"failed: {exc.message}"
                self.line(f"{mirror.fullname} {name}: {what}")

    def do_prefetch(self, options):
        from indexes.cli.mirrors import mirrors_of, read_requirements, requirement_lines
        from indexes.kinds import kind_for

        index = current.index_for(options["index"], acting=self.actor().username)
        mirror = mirrors_of(index)[0]
        requirements = requirement_lines("\n".join(options["requirements"]))
        for path in options["requirement"]:
            requirements.extend(read_requirements(Path(path)))
        if not requirements:
            raise Invalid("nothing to prefetch: give requirements or -r FILE")
        progress = Progress("prefetch", unit="requirement", out=self.stdout, err=self.stderr)
        progress.start(len(requirements))
        missing = 0
        try:
            for requirement in requirements:
                try:
                    files = kind_for(mirror).prefetch(mirror, requirement)
                except DevpiError as exc:
                    files, problem = [], exc.message
                else:
                    problem = "no matching files" if not files else ""
                missing += not files
                progress.advance()
                progress.line(f"{requirement}: " + (", ".join(files) if files else problem))
        finally:
            progress.close()
        self.line(progress.summary() + f" into {mirror.fullname}, {missing} without files")
        if missing:
            raise CommandError(f"{missing} of {len(requirements)} requirements have no files "
                               f"in {mirror.fullname}")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "test"


def _push_service():
    """``indexes.services.push``, imported when needed."""
    try:
        from indexes.services import push
    except ModuleNotFoundError as exc:
        if exc.name in ("indexes.services.push",):
            raise Invalid("push is not available: this server has no push service "
                          "(indexes.services.push) yet") from None
        raise
    return push


def _pip_command(venv: str | None) -> list[str]:
    if venv:
        directory = Path(venv)
        if (directory / "bin" / "pip").is_file():
            return [str(directory / "bin" / "pip")]
        if (directory / "bin" / "python").exists():
            return [sys.executable, "-m", "pip", "--python", str(directory / "bin" / "python")]
        raise Invalid(f"no virtualenv at {venv}")
    found = shutil.which("pip")
    return [found] if found else [sys.executable, "-m", "pip"]
