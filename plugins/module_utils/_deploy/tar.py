# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""tar.gz deploys, host side: the deploy (verify the chunks, extract or adopt the release extracted while
the chunks arrived, install script, atomic ``current`` switch, start command), rollback to the previous
good release, pruning that never removes current or the rollback target.

The chunk store is in chunks.py, the extraction rules in extract.py, the release directories in
releases.py.
"""

from __future__ import annotations

import os
import re
import shutil
import sys

from ansible.module_utils.six.moves import shlex_quote

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import extract
from ansible_collections.opsforge.infra.plugins.module_utils._deploy import releases as rel
from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.chunks import (
    DEFAULT_CHUNK_SIZE, join_tails, probe_chunks, verify_chunks)
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.releases import safe_extract, switch_link
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.runner import COMMON_OPTIONS, Deployment
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.safety import check_script, run_script, scrub, user_ids

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")

TAR_OPTIONS = dict(COMMON_OPTIONS)
TAR_OPTIONS.update(
    src=dict(type="path", required=True),
    deploy_dir=dict(type="path", required=True),
    chunk_size=dict(type="int", default=DEFAULT_CHUNK_SIZE),
    keep_releases=dict(type="int", default=5),
    install_script=dict(type="str", default="install.sh"),
    install_timeout=dict(type="int", default=600),
    start_command=dict(type="str"),
    start_timeout=dict(type="int", default=120),
    env=dict(type="dict", default={}),
    secret_env=dict(type="dict", default={}, no_log=True),
    run_as=dict(type="str"),
    allow_dangerous=dict(type="bool", default=False),
    shared_paths=dict(type="list", elements="str", default=[]),
    package_sha256=dict(type="str"),
    package_size=dict(type="int"),
    chunk_sha256=dict(type="list", elements="str"),
    transfer=dict(type="dict"),
    stage=dict(type="str", default="deploy", choices=["probe", "extract", "deploy"]),
)


def deploy_tar(params, check_mode=False):
    """The module's one call: the stage the action plugin asked for (``probe`` before the transfer, ``extract``
    beside it, ``deploy`` after it). The deploy's result and every failure carry ``transfer``, what the action
    plugin reported of the transfer (``{}`` when it sent nothing)."""
    transfer = params.get("transfer") or {}
    try:
        deployment = TarDeployment(params, check_mode=check_mode)
        if params["stage"] == "probe":
            return deployment.probe()
        if params["stage"] == "extract":
            return deployment.stream()
        result = deployment.run()
    except DeployError as exc:
        exc.details.setdefault("transfer", transfer)
        raise
    result["transfer"] = transfer
    return result


class TarDeployment(Deployment):
    command_type = "tar"

    def __init__(self, params, check_mode=False, store=None):
        super().__init__(params, check_mode, store)
        self.deploy_dir = params["deploy_dir"]
        self.releases_dir = os.path.join(self.deploy_dir, "releases")
        self.current_link = os.path.join(self.deploy_dir, "current")
        self.meta_path = os.path.join(self.deploy_dir, ".opsforge-releases.json")
        self.before = None  # release id current pointed at before this deploy
        self.extracted = False
        self.target = None  # rollback target

    # input and state ----------------------------------------------------------------------
    def target_version(self):
        return self.params.get("version") or (self.params.get("package_sha256") or "")[:12]

    def upload_dir(self):
        return self.store.path("uploads", self.params["package_sha256"])

    def validate(self):
        params = self.params
        if not params.get("package_sha256") or not _SHA_RE.match(params["package_sha256"]):
            raise DeployError("package_sha256 must be 64 lowercase hex digits (the action plugin sets it from src)")
        if not _ID_RE.match(self.target_version()):
            raise DeployError("version %r cannot name a release directory" % self.target_version())
        size, chunk_size, hashes = params.get("package_size"), params.get("chunk_size"), params.get("chunk_sha256") or []
        if not size or not chunk_size or chunk_size < 1024 or len(hashes) != (size + chunk_size - 1) // chunk_size:
            raise DeployError("package_size, chunk_size (>= 1024) and chunk_sha256 do not describe the same package")
        if params.get("keep_releases") is not None and params["keep_releases"] < 1:
            raise DeployError("keep_releases must be at least 1")
        for key in ("start_command",):
            check_script(params.get(key), params.get("allow_dangerous"), key)
        if params.get("run_as"):
            user_ids(params["run_as"])
        extract.check_shared_paths(params.get("shared_paths"))
        self.check_current_conflict()

    def read_meta(self):
        return rel.read_meta(self.meta_path)

    def write_meta(self, meta):
        rel.write_meta(self.meta_path, meta)

    def current_release(self):
        try:
            return os.path.basename(os.readlink(self.current_link))
        except OSError:
            return None

    def up_to_date(self):
        if self.params.get("force"):
            return False
        info = self.read_meta()["releases"].get(self.target_version()) or {}
        return (self.current_release() == self.target_version() and info.get("sha256") == self.params["package_sha256"]
                and info.get("status") == "good")

    def plan(self):
        out = super().plan()
        out.update(release=self.target_version(), current_release=self.current_release(),
                   package_sha256=self.params["package_sha256"])
        return out

    def rollback_version(self):
        meta = self.read_meta()["releases"]
        current = self.current_release()
        if current and current != self.target_version() and meta.get(current, {}).get("status") == "good":
            return current
        good = sorted((r for r, i in meta.items() if i.get("status") == "good" and r != self.target_version()
                       and os.path.isdir(os.path.join(self.releases_dir, r))),
                      key=lambda r: meta[r].get("deployed") or "", reverse=True)
        return good[0] if good else None

    def check_current_conflict(self):
        info = self.read_meta()["releases"].get(self.target_version()) or {}
        if self.current_release() == self.target_version() and info.get("sha256") != self.params["package_sha256"]:
            raise DeployError("release %s is current with another package (sha256 %s, this one %s): give this package a new version"
                              % (self.target_version(), info.get("sha256"), self.params["package_sha256"]))

    def probe(self):
        """Stage 1 (before the transfer): what the host has, whether anything is to do."""
        self.validate()
        self.check_current_conflict()
        up_to_date = self.up_to_date()
        out = dict(changed=False, up_to_date=up_to_date, upload_dir=self.upload_dir(), have=[], missing=[],
                   corrupt=[], partial=[], have_bytes=0, python=sys.executable)  # python: runs the transfer's receiver
        if up_to_date or self.check_mode:
            return out
        lock_owner = st.DeployLock(self.store, self.app, "probe").read_owner()
        if lock_owner and not st.DeployLock(self.store, self.app, "probe").is_stale(lock_owner):
            raise DeployError("another deploy of %s is running on this host: %s by %s (pid %s on %s) since %s"
                              % (self.app, lock_owner.get("deploy_id"), lock_owner.get("user"), lock_owner.get("pid"),
                                 lock_owner.get("host"), lock_owner.get("started")), details=dict(lock_owner=lock_owner))
        os.makedirs(out["upload_dir"], exist_ok=True)
        out.update(probe_chunks(out["upload_dir"], self.params["chunk_sha256"], self.params["package_size"],
                                self.params["chunk_size"]))
        return out

    # stages -------------------------------------------------------------------------------
    def env(self, extra=None, version=None):
        env = dict(self.params.get("env") or {})
        env.update(self.params.get("secret_env") or {})
        env.update(DEPLOY_APP=self.app, DEPLOY_VERSION=version or self.target_version(), DEPLOY_ID=self.tracker.deploy_id,
                   DEPLOY_DIR=self.deploy_dir, DEPLOY_PREVIOUS_VERSION=self.target or "")
        env.update(extra or {})
        return env

    def run_step(self, label, script, timeout, cwd, env):
        result = run_script(script, timeout=timeout, env=env, cwd=cwd, run_as=self.params.get("run_as"))
        secrets = [v for v in (self.params.get("secret_env") or {}).values() if v is not None]
        out, err = scrub(result.stdout, secrets), scrub(result.stderr, secrets)
        self.tracker.log("--- %s stdout ---\n%s--- %s stderr ---\n%s" % (label, out, label, err))
        self.tracker.record["details"].setdefault("steps", []).append(dict(
            step=label, rc=result.rc, timed_out=result.timed_out, duration=round(result.duration, 3)))
        if result.timed_out:
            raise DeployError("%s timed out after %ss" % (label, timeout), status=st.TIMEOUT)
        if result.rc != 0:
            tail = " | ".join((err or out).strip().splitlines()[-3:])
            raise DeployError("%s exited %s: %s" % (label, result.rc, tail))

    def mark(self, release, status):
        meta = self.read_meta()
        info = meta["releases"].setdefault(release, {})
        info.update(status=status, sha256=self.params["package_sha256"], deploy_id=self.tracker.deploy_id,
                    deployed=st.isoformat())
        self.write_meta(meta)

    def stream(self):
        """Stage 2, beside the transfer: extract the package into a staging directory while its chunks arrive.

        Never fails the task: what went wrong is returned as ``reason`` and the deploy stage extracts after
        the transfer as before (and refuses a hostile package there, with every unsafe member named)."""
        self.validate()
        params = self.params
        out = dict(changed=False, staged=None, reason=None)
        if self.check_mode or self.up_to_date():
            return out
        incoming = (params.get("transfer") or {}).get("incoming") or []
        try:
            staged = rel.stream_release(self.releases_dir, self.target_version(), self.upload_dir(),
                                        (params["chunk_sha256"], params["chunk_size"], params["package_size"]),
                                        [int(i) for i in incoming])
        except DeployError as exc:
            out["reason"] = exc.msg
            return out
        staged["package_sha256"] = params["package_sha256"]
        out["staged"] = staged
        return out

    def execute(self):
        params = self.params
        details = self.tracker.record["details"]
        release = self.target_version()
        self.before = self.current_release()
        self.target = self.rollback_version()
        release_dir = os.path.join(self.releases_dir, release)
        details.update(release=release, release_dir=release_dir, previous_release=self.before, rollback_target=self.target,
                       deploy_dir=self.deploy_dir, start_command=params.get("start_command"),
                       package_sha256=params["package_sha256"], package_size=params["package_size"],
                       transfer=params.get("transfer") or {})
        try:
            package = self._verified_package()
            self._extract(package, release_dir)
        finally:
            rel.clear_staging(self.releases_dir, release)
        script = params.get("install_script")
        if script and os.path.isfile(os.path.join(release_dir, script)):
            self.update(st.INSTALLING, 60, "running %s" % script)
            check_script(open(os.path.join(release_dir, script)).read(), params.get("allow_dangerous"), script)
            self.run_step(script, "exec /bin/sh ./%s" % shlex_quote(script), params["install_timeout"],
                          release_dir, self.env(dict(DEPLOY_RELEASE_DIR=release_dir)))
        self.update(st.INSTALLING, 80, "switching %s to %s" % (self.current_link, release))
        switch_link(self.current_link, os.path.join("releases", release))
        self.start()
        self.update(st.INSTALLING, 90, "release %s is current" % release)

    def _verified_package(self):
        """Every chunk and the whole package verified (before anything goes live); the chunk paths."""
        params = self.params
        self.update(st.UPLOADING, 5, "verifying %d chunk(s) of %d bytes" % (len(params["chunk_sha256"]), params["package_size"]))
        if not os.path.isdir(self.upload_dir()):
            raise DeployError("no chunk of this package has reached the host (%s is missing): deploy_tar sends it through "
                              "its action plugin, which probes first" % self.upload_dir())
        try:
            join_tails(self.upload_dir())
            package = verify_chunks(self.upload_dir(), params["chunk_sha256"], params["package_sha256"])
        except DeployError as exc:
            raise DeployError(exc.msg)
        self.update(st.UPLOADING, 30, "package verified (sha256 %s)" % params["package_sha256"])
        return package

    def _extract(self, package, release_dir):
        """The release directory: the one extracted while the chunks arrived (named only now, after the
        verification), else extracted from the verified chunks."""
        params, details, release = self.params, self.tracker.record["details"], self.target_version()
        staged = rel.adopt_staging(self.releases_dir, release, (params.get("transfer") or {}).get("staged"),
                                   params["package_sha256"])
        self.update(st.EXTRACTING, 30, "extracting into %s" % release_dir)
        os.makedirs(self.releases_dir, exist_ok=True)
        if os.path.exists(release_dir):
            if self.before == release:
                raise DeployError("release %s is current; deploy another version (or roll back first)" % release)
            shutil.rmtree(release_dir)
        if staged:
            os.rename(staged, release_dir)
            count, details["extraction"] = params["transfer"]["staged"]["members"], "streamed"
        else:
            try:
                count, details["extraction"] = safe_extract(package, release_dir), "after the transfer"
            except DeployError as exc:
                shutil.rmtree(self.upload_dir(), ignore_errors=True)
                raise DeployError(exc.msg)
        self.extracted = True
        details["files"] = count
        try:
            details["shared_paths"] = extract.link_shared_paths(self.deploy_dir, release_dir, params.get("shared_paths"))
        except (DeployError, OSError) as exc:
            raise DeployError("cannot link shared_paths: %s" % getattr(exc, "msg", exc))
        self.update(st.EXTRACTING, 60, "%d member(s) extracted" % count)
        shutil.rmtree(self.upload_dir(), ignore_errors=True)

    def start(self, version=None):
        """Run start_command; ``version`` is the release started (E(DEPLOY_VERSION)), default the one deployed."""
        if self.params.get("start_command"):
            self.run_step("start_command", self.params["start_command"], self.params["start_timeout"], self.deploy_dir,
                          self.env(dict(DEPLOY_FAILED_VERSION=self.target_version()) if version else None, version))

    def can_roll_back(self):
        return self.target is not None

    def rollback(self):
        if self.extracted:
            self.mark(self.target_version(), "bad")
        result = super().rollback()
        self.prune()
        return result

    def do_rollback(self):
        if not self.target:
            raise DeployError("no previous good release of %s to roll back to" % self.app)
        if self.current_release() == self.target:
            # The deploy failed before current moved: the app never changed, nothing to switch or restart.
            return dict(method="current unchanged", release=self.target)
        switch_link(self.current_link, os.path.join("releases", self.target))
        self.start(self.target)
        return dict(method="switched current", release=self.target)

    def prune(self):
        meta = self.read_meta()
        removed = rel.prune(self.releases_dir, meta, self.params.get("keep_releases") or 5,
                            set([self.current_release(), self.target]))
        if removed:
            self.write_meta(meta)
        self.tracker.record["details"]["pruned"] = removed
        return removed

    def _run_locked(self):
        try:
            result = super()._run_locked()
        except DeployError:
            if self.extracted:
                self.mark(self.target_version(), "bad")
            raise
        self.mark(self.target_version(), "good")
        self.prune()
        result["deploy"]["details"]["pruned"] = self.tracker.record["details"].get("pruned", [])
        return result
