#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_tar
short_description: Deploy a tar.gz release with a resumable verified transfer, health checks and rollback
version_added: 0.1.0
description:
  - The action plugin hashes O(src) on the controller (sha256), asks the host which chunks of that package it
    already has, and sends only the missing ones (O(chunk_size) each, several at a time). An interrupted transfer
    resumes where it stopped, inside a chunk too; each chunk and the whole package are verified on the host. Run with C(-v) to see the progress
    (percent and MB/s) at each chunk.
  - Over the C(ssh) connection the chunks go through streams of their own, built from the connection's settings
    (host, port, user, key, C(ssh_args), C(ssh_common_args), C(ssh_extra_args), jump host, known hosts) but with a
    connection per stream instead of the ControlMaster, and without SSH compression when the package is compressed
    already (or does not compress); the host hashes each chunk as it arrives. Over C(community.docker.docker) they
    stream through C(docker exec -i). Other connections (C(paramiko_ssh), C(community.docker.docker_api), ...) and
    password authentication use the connection's own file transfer; RV(transfer.method) and RV(transfer.fallback) say
    which ran and why.
  - Over those streams the host extracts the package while its chunks arrive (each chunk once its sha256 is confirmed),
    member by member with the checks below, into a hidden staging directory that becomes the release only after the
    whole package was verified; RV(transfer.extraction) says whether it did.
  - The package is checked before anything is extracted. Absolute paths, C(..), devices, fifos and links that
    escape the release are refused and nothing is extracted (when it is extracted while it arrives, the members
    before the refused one are removed with the staging directory, then the package is refused with every unsafe
    member named).
  - Each member is judged by where it physically resolves once the members before it exist (links through links
    included); hard links may only point to regular files already in the release; nothing is written through a
    link; the finished tree is checked again. Any refusal removes everything extracted.
  - It is extracted into C(<deploy_dir>/releases/<version>); C(install.sh) (O(install_script)) runs in it when the
    package has one; the C(<deploy_dir>/current) link is switched atomically; O(start_command) (re)starts the
    app; the O(health_checks) gate the release.
  - On failure the release is marked bad, C(current) goes back to the previous good release (bad releases are
    skipped), O(start_command) runs again and the health checks run again.
  - O(keep_releases) prunes old releases but never the current one or the rollback target.
  - Statuses V(pending), V(executing), V(uploading) (progress 0-30), V(extracting) (30-60), V(installing)
    (60-90), V(health_check) (90-100), V(rolling_back), V(rolled_back), V(rollback_failed), V(success),
    V(failed), V(timeout) go to the status file; a record is kept.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.deploy
  - opsforge.infra.deploy.health_checks
  - opsforge.infra.deploy.attributes
attributes:
  action:
    support: full
    description: The action plugin does the hashing and the transfer on the controller.
  check_mode:
    support: full
    description: Hashes the package and reports whether it would be deployed; sends and changes nothing.
  idempotent:
    support: full
    description: When C(current) already is this version with the same sha256, nothing is sent or changed.
options:
  src:
    description: The tar (optionally gzip, bzip2 or xz compressed) package on the controller. Searched in C(files/) like M(ansible.builtin.copy).
    type: path
    required: true
  version:
    description: Release id (directory name under C(releases/)). Defaults to the first 12 hex digits of the package sha256.
    type: str
  deploy_dir:
    description: Directory of the app on the host; holds C(releases/) and the C(current) link.
    type: path
    required: true
  chunk_size:
    description: Bytes per transferred chunk (at least 1024).
    type: int
    default: 67108864
  keep_releases:
    description: Releases to keep; the current one and the rollback target are always kept.
    type: int
    default: 5
  install_script:
    description: Script in the release run with C(/bin/sh) from the release directory when it exists. Empty to never run one.
    type: str
    default: install.sh
  install_timeout:
    description: Seconds the install script may run.
    type: int
    default: 600
  start_command:
    description: Shell command run after C(current) switched (and again after a rollback), for example V(systemctl restart myapp).
    type: str
  start_timeout:
    description: Seconds O(start_command) may run.
    type: int
    default: 120
  env:
    description: Environment of the install script and O(start_command) (besides E(DEPLOY_APP), E(DEPLOY_VERSION), E(DEPLOY_ID), E(DEPLOY_DIR)).
    type: dict
    default: {}
  secret_env:
    description: Secret environment variables; never logged, masked in captured output.
    type: dict
    default: {}
  run_as:
    description: Run the install script and O(start_command) as this user.
    type: str
  allow_dangerous:
    description: Run scripts that contain a command of the denylist.
    type: bool
    default: false
  shared_paths:
    description:
      - Paths in the release (relative, like V(data) or V(var/log)) made links to C(<deploy_dir>/shared/<path>),
        which the module creates when missing. What the package has at such a path is replaced.
      - Keeps data across releases without packaging a link that leaves the release.
    type: list
    elements: str
    default: []
  package_sha256:
    description: Internal, set by the action plugin. Do not set.
    type: str
  package_size:
    description: Internal, set by the action plugin. Do not set.
    type: int
  chunk_sha256:
    description: Internal, set by the action plugin. Do not set.
    type: list
    elements: str
  transfer:
    description: Internal, set by the action plugin. Do not set.
    type: dict
  stage:
    description: Internal, set by the action plugin. Do not set.
    type: str
    choices: [probe, extract, deploy]
    default: deploy
seealso:
  - module: opsforge.infra.deploy_rollback
  - module: opsforge.infra.deploy_status
"""

EXAMPLES = r"""
- name: Deploy release 1.4.0 of the shop
  opsforge.infra.deploy_tar:
    app: shop
    version: "1.4.0"
    src: dist/shop-1.4.0.tar.gz
    deploy_dir: /opt/shop
    start_command: systemctl restart shop
    keep_releases: 3
    shared_paths: [data, var/log]
    health_checks:
      - port: 8000
        path: /health
        retries: 10
        delay: 2
"""

RETURN = r"""
deploy:
  description:
    - The record of this deploy. In check mode or when nothing changed, a plan with C(app), C(version),
      C(previous_version), C(release), C(current_release) and C(package_sha256).
  returned: always
  type: dict
  contains:
    deploy_id:
      description: Identifier of the deploy.
      type: str
    status:
      description: Final status, V(success), V(failed) or V(timeout).
      type: str
    success:
      description: Whether the deploy succeeded.
      type: bool
    version:
      description: Release that was deployed.
      type: str
    effective_version:
      description: Release current after the deploy (the rollback target after a successful rollback).
      type: str
    previous_version:
      description: The rollback target (previous good release).
      type: str
    history:
      description: Every status change, each with C(status), C(stage), C(progress), C(message) and C(timestamp).
      type: list
      elements: dict
    health:
      description: Health check results.
      type: list
      elements: dict
    rollback:
      description: What the rollback did (C(performed), C(status), C(target_version), C(release), C(health), C(error)).
      type: dict
    details:
      description: C(release), C(release_dir), C(previous_release), C(rollback_target), C(package_sha256), C(files), C(pruned), C(transfer).
      type: dict
  sample: {"deploy_id": "shop-20260101000000-abc123", "status": "success", "version": "1.4.0"}
transfer:
  description: What the transfer did.
  returned: always
  type: dict
  contains:
    bytes_total:
      description: Package size.
      type: int
    bytes_sent:
      description: Bytes sent in this run.
      type: int
    resumed_bytes:
      description: Bytes the host already had (from an interrupted transfer), including the start of chunks cut short.
      type: int
    resumed_partial_chunks:
      description: Chunks cut short by an interruption whose start the host kept, so only the rest was sent.
      type: list
      elements: int
    chunks_sent:
      description: Chunks sent in this run.
      type: int
    corrupt_chunks:
      description: Chunks found on the host with a wrong sha256 (removed and sent again).
      type: list
      elements: int
    mb_per_s:
      description: Transfer speed in MB/s.
      type: float
    method:
      description:
        - How the chunks were sent - V(ssh_stream), V(docker_stream) or V(put_file) (the connection's own file transfer).
        - V(null) when nothing had to be sent.
      type: str
    streams:
      description: Streams used at once (V(0) with V(put_file)).
      type: int
    compression:
      description: What the transfer did about SSH compression, and why (for example V(off (gzip package\))).
      type: str
    fallback:
      description: Why the chunks went through V(put_file) instead of a stream; V(null) when a stream was used.
      type: str
    extraction:
      description:
        - V(streamed) when the host extracted the package while its chunks arrived (over a stream), else
          V(after the transfer) with the reason (the V(put_file) fallback, or the rest of a chunk cut short was sent).
      type: str
    staged:
      description: The staging directory the streamed extraction filled (C(token), C(members), C(package_sha256)); V(null) when none.
      type: dict
  sample: {"bytes_total": 1048576, "bytes_sent": 524288, "resumed_bytes": 524288, "chunks_sent": 2, "corrupt_chunks": [], "mb_per_s": 90.5,
           "method": "ssh_stream", "streams": 2, "compression": "off (gzip package)", "fallback": null}
deploy_event:
  description: Payload for the P(opsforge.infra.deploy_events#callback) callback; also returned when the deploy fails.
  returned: when a deploy ran
  type: dict
rolled_back:
  description: Whether a failed deploy was rolled back successfully.
  returned: on failure
  type: bool
refused_members:
  description: Members of the package that were refused (absolute, C(..), devices, escaping links).
  returned: when the package is unsafe
  type: list
  elements: str
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import TAR_OPTIONS, deploy_tar  # noqa: E402


def main():
    module = OpsforgeModule(spec=TAR_OPTIONS)
    module.run(deploy_tar, module.params, check_mode=module.check_mode)


if __name__ == "__main__":
    main()
