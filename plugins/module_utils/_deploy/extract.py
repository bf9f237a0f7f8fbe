# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Safe extraction of a release package, judged by where every entry physically resolves.

Three lines of defence, all before the release directory gets its name:

1. the names: absolute paths, ``..``, devices, fifos and links whose text leaves the release are
   refused up front, every such member named;
2. member by member, on the disk as it is at that moment: no parent may be a symlink (nothing is
   written through a link), an existing entry is replaced, never written through, a symlink must
   resolve inside (following the links already extracted), a hard link may only point to a regular
   file already extracted; the stdlib ``tarfile`` data filter checks each member again where the
   Python has it;
3. the finished tree: every entry's real path must be inside the release and no regular file may
   share its inode with a file outside (a later link can change where an earlier one leads).

Any refusal removes everything extracted so far: the package is either wholly inside or not there.
``shared_paths`` (the ``data -> ../../shared/data`` habit) are links made by the module afterwards.
"""

from __future__ import annotations

import errno
import os
import posixpath
import shutil
import stat
import tarfile

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError

BUF = 1024 * 1024
_NO_KERNEL_COPY = (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM)
_DATA_FILTER = getattr(tarfile, "data_filter", None)


class Refused(Exception):
    """One member cannot be extracted safely."""


class ReleaseTarFile(tarfile.TarFile):
    """A TarFile that copies regular files of an uncompressed package straight from the chunk
    files with ``os.copy_file_range`` (in the kernel, no copy through Python) when it reads a chain of
    chunk files (a ``chunks._PartsReader``: ``parts`` and ``wait_range``). Compressed packages, sparse
    members and kernels without that call go through tarfile's own copy."""

    def makefile(self, tarinfo, targetpath):
        reader = self.fileobj
        copy = getattr(os, "copy_file_range", None)
        if copy is None or not hasattr(reader, "parts") or tarinfo.sparse is not None:
            return super().makefile(tarinfo, targetpath)
        try:
            with open(targetpath, "wb") as out:
                _copy_range(copy, reader, tarinfo.offset_data, tarinfo.size, out.fileno())
        except OSError as exc:
            if exc.errno not in _NO_KERNEL_COPY:
                raise
            return super().makefile(tarinfo, targetpath)  # this filesystem pair cannot: copy in Python
        return None


def _copy_range(copy, reader, offset, size, dest_fd):
    """Copy ``size`` bytes at ``offset`` of the chained chunk files into ``dest_fd`` (once they are there)."""
    reader.wait_range(offset, size)
    for start, length, path in reader.parts:
        if size <= 0:
            break
        if offset >= start + length:
            continue
        step = min(size, start + length - offset)
        with open(path, "rb") as src:
            at, left = offset - start, step
            while left:
                done = copy(src.fileno(), dest_fd, left, at)
                if not done:
                    raise tarfile.ReadError("unexpected end of data")
                at += done
                left -= done
        offset += step
        size -= step
    if size > 0:
        raise tarfile.ReadError("unexpected end of data")


def _escapes(norm):
    return norm == ".." or norm.startswith("../")


def _name_problem(member):
    """Why the member's own text is unsafe, or None."""
    name = member.name
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if _escapes(posixpath.normpath(name)) or "/../" in "/%s/" % name:
        return "'..' in the path"
    if member.ischr() or member.isblk() or member.isfifo() or member.isdev():
        return "device or fifo"
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        return "unsupported member type"
    norm = posixpath.normpath(name)
    if member.issym():
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(norm), member.linkname))
        if member.linkname.startswith("/") or _escapes(resolved):
            return "symlink to %s escapes the release" % member.linkname
    if member.islnk() and (member.linkname.startswith("/") or _escapes(posixpath.normpath(member.linkname))):
        return "hard link to %s escapes the release" % member.linkname
    return None


def check_members(tar):
    """Return the members to extract; raise DeployError naming every member unsafe by its text."""
    members = tar.getmembers()
    refused = []
    for member in members:
        problem = _name_problem(member)
        if problem:
            refused.append("%s: %s" % (member.name, problem))
    links = set(posixpath.normpath(m.name) for m in members if m.issym())
    for member in members:
        parts = posixpath.normpath(member.name).split("/")
        if any("/".join(parts[:depth]) in links for depth in range(1, len(parts))):
            refused.append("%s: a parent is a symlink" % member.name)
    if refused:
        raise DeployError("the package has unsafe members, nothing was extracted: %s" % "; ".join(refused[:20]),
                          details=dict(refused_members=refused))
    return members


def _inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _lstat(path):
    try:
        return os.lstat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise


def check_parents(root, norm):
    """Raise Refused when a parent of ``norm`` under ``root`` is a symlink or not a directory."""
    path = root
    for part in norm.split("/")[:-1]:
        path = os.path.join(path, part)
        info = _lstat(path)
        if info is None:
            return
        if stat.S_ISLNK(info.st_mode):
            raise Refused("a parent (%s) is a symlink" % os.path.relpath(path, root))
        if not stat.S_ISDIR(info.st_mode):
            raise Refused("a parent (%s) is not a directory" % os.path.relpath(path, root))


def _prepare(root, real_root, member, norm):
    """Check one member against the disk as it is now; clear the way for it."""
    target = os.path.join(root, norm)
    check_parents(root, norm)
    existing = _lstat(target)
    if member.isdir():
        if existing is not None and not stat.S_ISDIR(existing.st_mode):
            raise Refused("a directory over an existing %s" % ("symlink" if stat.S_ISLNK(existing.st_mode) else "file"))
        return target
    if existing is not None:
        if stat.S_ISDIR(existing.st_mode):
            raise Refused("replaces a directory")
        os.unlink(target)  # replaced, never written through
    if member.issym():
        real = os.path.realpath(os.path.join(os.path.dirname(target), member.linkname))
        if not _inside(real, real_root):
            raise Refused("symlink to %s resolves outside the release (%s)" % (member.linkname, real))
    elif member.islnk():
        link_norm = posixpath.normpath(member.linkname)
        check_parents(root, link_norm)
        info = _lstat(os.path.join(root, link_norm))
        if info is None or not stat.S_ISREG(info.st_mode):
            raise Refused("hard link to %s, which is not a regular file already in the release" % member.linkname)
    return target


def _extract_one(tar, member, root):
    if _DATA_FILTER is not None:
        try:
            tar.extract(member, root, filter="data")
        except tarfile.FilterError as exc:
            raise Refused("refused by the tarfile data filter: %s" % exc)
    else:  # Python without extraction filters: the checks above are the only line
        tar.extract(member, root)  # nosec - checked by _prepare


def _refusal(member, why):
    return DeployError("the package has unsafe members, nothing was extracted: %s: %s" % (member.name, why),
                       details=dict(refused_members=["%s: %s" % (member.name, why)]))


def _extract_member(tar, member, root, real_root, dirs):
    """Extract one member (judged against the disk as it is now); remember directories in ``dirs``."""
    member.mode &= 0o7777 & ~0o6000  # no setuid/setgid
    member.uid = member.gid = 0
    member.uname = member.gname = "root"
    norm = posixpath.normpath(member.name)
    if norm == ".":
        return
    try:
        target = _prepare(root, real_root, member, norm)
        if member.isdir():
            os.makedirs(target, exist_ok=True)
            dirs.append((target, member.mode))
        else:
            _extract_one(tar, member, root)
    except Refused as exc:
        raise _refusal(member, exc)


def _finish_dirs(dirs):
    for target, mode in reversed(dirs):  # last, so that a read-only directory does not block its content
        os.chmod(target, (mode & 0o777 & ~0o022) | 0o700)


def _extract_all(tar, members, root):
    real_root = os.path.realpath(root)
    dirs = []
    for member in members:
        _extract_member(tar, member, root, real_root, dirs)
    _finish_dirs(dirs)


def _stream_all(tar, root, on_member=None):
    """Extract the members of ``tar`` in arrival order, reading each header only when it comes; return their count.

    Each member's own text is judged as it arrives (what check_members judges for the whole list);
    a symlink parent is caught on the disk by _prepare (a later symlink over an extracted directory is
    "replaces a directory", a member under an earlier symlink "a parent is a symlink" or "not a directory").
    """
    real_root = os.path.realpath(root)
    dirs = []
    count = 0
    for member in tar:
        problem = _name_problem(member)
        if problem:
            raise _refusal(member, problem)
        _extract_member(tar, member, root, real_root, dirs)
        count += 1
        if on_member is not None:
            on_member(count, member)
    _finish_dirs(dirs)
    return count


def verify_tree(root):
    """Raise DeployError when an entry of the tree under ``root`` resolves outside it or shares an
    inode with a file outside it."""
    real_root = os.path.realpath(root)
    seen = {}
    for base, dirs, files in os.walk(root):  # never follows links: every non-link entry is physically here
        for name in dirs + files:
            path = os.path.join(base, name)
            info = os.lstat(path)
            rel = os.path.relpath(path, root)
            if stat.S_ISLNK(info.st_mode):
                real = os.path.realpath(path)
                if not _inside(real, real_root):
                    raise DeployError("the package has unsafe members, nothing was extracted: %s resolves to %s, outside the"
                                      " release" % (rel, real), details=dict(refused_members=["%s: resolves outside the release" % rel]))
            elif stat.S_ISREG(info.st_mode):
                key = (info.st_dev, info.st_ino)
                count, _rel, nlink = seen.get(key, (0, rel, info.st_nlink))
                seen[key] = (count + 1, rel, nlink)
    for count, rel, nlink in seen.values():
        if nlink > count:
            raise DeployError("the package has unsafe members, nothing was extracted: %s shares its inode with a file outside"
                              " the release" % rel, details=dict(refused_members=["%s: hard link outside" % rel]))


def _staged(tmp, work):
    """Run ``work()`` that fills the staging directory ``tmp``; remove ``tmp`` on any failure."""
    try:
        return work()
    except tarfile.TarError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DeployError("cannot read the package: %s" % exc, cause=exc)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DeployError("cannot extract the package: %s" % exc, cause=exc)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def safe_extract(package, dest, fileobj=None):
    """Extract ``package`` (a path, or ``fileobj``) into the new directory ``dest``; return the member count.

    Nothing is left behind when the package is refused or cannot be read.
    """
    tmp = dest + ".extracting"
    if os.path.lexists(tmp):
        shutil.rmtree(tmp)

    def work():
        with ReleaseTarFile.open(package if fileobj is None else None, "r:*", fileobj=fileobj, copybufsize=4 * BUF) as tar:
            members = check_members(tar)
            os.makedirs(tmp)
            _extract_all(tar, members, tmp)
        verify_tree(tmp)
        return len(members)

    count = _staged(tmp, work)
    os.rename(tmp, dest)
    return count


def stream_extract(fileobj, staging, on_member=None):
    """Extract the package read from ``fileobj`` (front to back; its reads wait for bytes still arriving)
    into the new directory ``staging``, member by member as they come; return the member count.

    The same judgement as safe_extract (a hostile member stops the stream at once and removes everything
    extracted so far), the same finished-tree check. ``staging`` is not live: the caller verifies the whole
    package and only then gives it its release name. ``on_member(count, member)`` runs after each member.
    """
    if os.path.lexists(staging):
        shutil.rmtree(staging)

    def work():
        with ReleaseTarFile.open(None, "r:*", fileobj=fileobj, copybufsize=4 * BUF) as tar:  # members read lazily
            os.makedirs(staging)
            count = _stream_all(tar, staging, on_member)
        verify_tree(staging)
        return count

    return _staged(staging, work)


def check_shared_paths(paths):
    """Normalized ``shared_paths``; raise DeployError for an entry that is not a relative path inside."""
    out = []
    for rel in paths or ():
        norm = posixpath.normpath(rel) if rel else ""
        if not rel or rel.startswith("/") or norm in (".", "") or _escapes(norm):
            raise DeployError("shared_paths entry %r must be a relative path inside the release (like data or var/log)" % (rel,))
        out.append(norm)
    return out


def link_shared_paths(deploy_dir, release_dir, paths):
    """Make ``<release>/<path>`` a relative link to ``<deploy_dir>/shared/<path>`` (created when missing).

    What the package had at that path is replaced. Return the normalized paths.
    """
    done = []
    for norm in check_shared_paths(paths):
        shared = os.path.join(deploy_dir, "shared", norm)
        link = os.path.join(release_dir, norm)
        try:
            check_parents(release_dir, norm)
        except Refused as exc:
            raise DeployError("shared_paths entry %s: %s in the release" % (norm, exc))
        os.makedirs(shared, exist_ok=True)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        existing = _lstat(link)
        if existing is not None:
            if stat.S_ISDIR(existing.st_mode):
                shutil.rmtree(link)
            else:
                os.unlink(link)
        os.symlink(os.path.relpath(shared, os.path.dirname(link)), link)
        done.append(norm)
    return done
