# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Script safety (size cap, dangerous-command denylist) and running commands with a timeout as a user."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError

MAX_SCRIPT_BYTES = 100 * 1024

DENYLIST = (
    ("rm -rf /", re.compile(r"\brm\s+(?:-{1,2}[\w-]+\s+)*(?:--no-preserve-root\s+)?(?:-{1,2}[\w-]+\s+)*(?:/|/\*|~/?)(?=\s|;|&|\||$)")),
    ("mkfs", re.compile(r"(?:^|[\s;&|(])mkfs(?:\.\w+)?\b")),
    ("dd to a device", re.compile(r"\bdd\b[^;&|\n]*\bof=/dev/(?!null\b|zero\b|stdout\b|stderr\b)")),
    ("fork bomb", re.compile(r":\s*\(\s*\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:")),
    ("download piped to a shell", re.compile(r"\b(?:curl|wget)\b[^;&\n]*\|\s*(?:sudo\s+)?(?:ba|da|z|k)?sh\b")),
    ("write to a disk device", re.compile(r">\s*/dev/(?:sd[a-z]|nvme\d|vd[a-z]|xvd[a-z]|hd[a-z])")),
    ("chmod -R on /", re.compile(r"\bchmod\s+-R\s+\S+\s+/(?=\s|;|&|\||$)")),
)


def _rm_is_recursive(match_text):
    flags = " ".join(word for word in match_text.split() if word.startswith("-"))
    return bool(re.search(r"-\w*[rR]|--recursive", flags))


def check_script(script, allow_dangerous=False, what="script"):
    """Raise DeployError when ``script`` is too big or contains a denylisted command."""
    if script is None:
        return
    size = len(script.encode("utf-8"))
    if size > MAX_SCRIPT_BYTES:
        raise DeployError("%s is %d bytes, more than the %d bytes allowed" % (what, size, MAX_SCRIPT_BYTES))
    if allow_dangerous:
        return
    for label, pattern in DENYLIST:
        for match in pattern.finditer(script):
            if label == "rm -rf /" and not _rm_is_recursive(match.group(0)):
                continue
            raise DeployError("%s contains a dangerous command (%s): %r; set allow_dangerous=true to run it anyway"
                              % (what, label, match.group(0).strip()), details=dict(dangerous_command=label))


def user_ids(user):
    """Return ``(uid, gid, home)`` of ``user`` or raise DeployError."""
    import pwd  # pylint: disable=import-outside-toplevel

    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise DeployError("run_as user %s does not exist on this host" % user)
    return entry.pw_uid, entry.pw_gid, entry.pw_dir


class CommandResult:
    def __init__(self, rc, stdout, stderr, timed_out, duration):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out
        self.duration = duration

    @property
    def ok(self):
        return self.rc == 0 and not self.timed_out

    def as_dict(self):
        return dict(rc=self.rc, stdout=self.stdout, stderr=self.stderr, timed_out=self.timed_out,
                    duration=round(self.duration, 3))


# The reaper: a tiny process in its own session that holds the read end of a pipe whose write end only the
# module holds. The module writes "d" when the script is done; end of file without it means the module died
# (SIGKILL, OOM, lost connection), and the reaper kills the script's process group, so no script outlives it.
REAPER = """
import os, signal, sys, time
group = int(sys.argv[1])
if sys.stdin.buffer.read(1) != b"d":
    for sig, pause in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 0)):
        try:
            os.killpg(group, sig)
        except OSError:
            break
        end = time.time() + pause
        while time.time() < end:
            try:
                os.killpg(group, 0)
            except OSError:
                sys.exit(0)
            time.sleep(0.1)
"""


class _Reaper:
    """Ties the process group ``pgid`` to the life of this process (see REAPER)."""

    def __init__(self, pgid):
        self.write_fd = None
        try:
            read_fd, self.write_fd = os.pipe()
            try:
                subprocess.Popen([sys.executable or "python3", "-c", REAPER, str(pgid)], stdin=read_fd,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            finally:
                os.close(read_fd)
        except OSError:
            self.close(done=False)

    def close(self, done=True):
        if self.write_fd is None:
            return
        try:
            if done:
                os.write(self.write_fd, b"d")
        except OSError:
            pass
        os.close(self.write_fd)
        self.write_fd = None


def run_script(script, timeout=600, env=None, cwd=None, run_as=None, shell="/bin/sh", args=None):
    """Run ``script`` text with ``shell`` (or ``args`` directly) in its own process group.

    On timeout the whole group is killed; the result says ``timed_out``. When this process dies before the
    script ended, a reaper kills the script's process group (the script never outlives its module).
    """
    full_env = dict(os.environ)
    full_env.update({k: str(v) for k, v in (env or {}).items()})
    preexec = None
    if run_as:
        uid, gid, home = user_ids(run_as)
        full_env.update(HOME=home, USER=run_as, LOGNAME=run_as)

        def preexec():  # pragma: no cover - runs in the child
            os.setgid(gid)
            os.initgroups(run_as, gid)
            os.setuid(uid)

    if cwd and not os.path.isdir(cwd):
        raise DeployError("workdir %s does not exist" % cwd)
    cmd = list(args) if args else [shell, "-e", "-c", script]
    start = time.time()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=cwd, env=full_env, preexec_fn=preexec, start_new_session=True)
    except OSError as exc:
        raise DeployError("cannot run %s: %s" % (cmd[0], exc), cause=exc)
    reaper = _Reaper(proc.pid)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = proc.communicate()
    finally:
        reaper.close(done=proc.returncode is not None)
    return CommandResult(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                         timed_out, time.time() - start)


def scrub(text, secrets):
    """Replace every secret value in ``text`` with ``********``."""
    for value in secrets or ():
        value = str(value)
        if len(value) >= 3:
            text = text.replace(value, "********")
    return text
