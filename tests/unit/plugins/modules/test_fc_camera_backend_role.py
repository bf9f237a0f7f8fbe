# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The camera_backend role, run by ansible-playbook against the Aliyun fakes (aliyun_site/sitecustomize.py).

check mode -> apply -> apply again (changed=0) -> check mode (changed=0) -> absent -> absent (changed=0),
asserting on the recap a user reads and on what the fake cloud holds afterwards.
"""

import os
import pickle
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
PLAYBOOK = os.path.join(ROOT, "playbooks", "camera_backend.yml")
BUCKET = "camera-role-test"
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "fc_functions"))  # fake_ots, to read the saved state


@pytest.fixture
def cloud(tmp_path):
    packages = tmp_path / "fc"
    packages.mkdir()
    for name in ("device_manager", "upload_handler", "image_query"):
        (packages / ("%s.zip" % name)).write_bytes(b"PK\x03\x04" + name.encode() * 10)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([os.path.join(HERE, "aliyun_site"), os.environ.get("PYTHONPATH", "")]),
        OPSFORGE_ALIYUN_FAKE_STATE=str(tmp_path / "cloud.pickle"),
        OPSFORGE_ALIYUN_FAKE_BUCKET=BUCKET,
        ALIBABA_CLOUD_ACCESS_KEY_ID="LTAIfake",
        ALIBABA_CLOUD_ACCESS_KEY_SECRET="fake-secret",
        ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
        ANSIBLE_NOCOLOR="1",
        HOME=str(tmp_path),
    )
    env.pop("ALIBABA_CLOUD_SECURITY_TOKEN", None)
    extra = [
        "-e", "ansible_python_interpreter=%s" % sys.executable,
        "-e", "camera_backend_region=cn-hangzhou",
        "-e", "camera_backend_account_id=1234567890123456",
        "-e", "camera_backend_bucket=%s" % BUCKET,
        "-e", "camera_backend_signing_key=%s" % ("s" * 40),
        "-e", "camera_backend_package_dir=%s" % packages,
    ]

    def play(*args):
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), PLAYBOOK] + extra + list(args)
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out[-6000:]
        recap = re.search(r"localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out)
        assert recap, out[-3000:]
        return int(recap.group(2)), out

    def state():
        with open(str(tmp_path / "cloud.pickle"), "rb") as handle:
            return pickle.load(handle)

    return play, state


@pytest.mark.timeout(900)
def test_role_check_apply_idempotent_absent(cloud):
    play, state = cloud
    changed, out = play("--check")
    assert changed > 0
    assert state()["writes"] == [], "check mode wrote to the cloud"

    changed, out = play()
    assert changed > 0
    cloud_state = state()
    assert sorted(cloud_state["fc_functions"]) == ["camera-device-manager", "camera-image-query", "camera-upload-handler"]
    query = cloud_state["fc_functions"]["camera-image-query"]
    assert query["role"] == "acs:ram::1234567890123456:role/camera-image-query-fn"
    assert query["environmentVariables"]["CAMERA_SIGNING_KEY"] == "s" * 40
    assert "s" * 40 not in out, "the signing key was printed"
    trust = cloud_state["ram_roles"]["camera-device-upload"]["AssumeRolePolicyDocument"]
    assert "camera-device-manager-fn" in trust and "Service" not in trust
    assert sorted(cloud_state["ots_tables"]) == ["device_nonces", "devices", "images"]
    assert cloud_state["ots_tables"]["images"].options.time_to_live == 30 * 86400
    assert cloud_state["oss"]["exists"] and "<Days>30</Days>" in cloud_state["oss"]["config"]["lifecycle"]
    assert ("camera-device-upload", "Custom", "camera-device-upload") in cloud_state["ram_attachments"]
    # URLs are signed with a device-read session: only image-query's role may assume it, and it no longer reads OSS itself
    read_trust = cloud_state["ram_roles"]["camera-device-read"]["AssumeRolePolicyDocument"]
    assert "camera-image-query-fn" in read_trust and "Service" not in read_trust
    env = query["environmentVariables"]
    assert env["CAMERA_READER_ROLE_ARN"] == "acs:ram::1234567890123456:role/camera-device-read"
    assert env["CAMERA_OSS_PUBLIC_ENDPOINT"] == "https://oss-cn-hangzhou.aliyuncs.com"
    assert env["CAMERA_OTS_ENDPOINT"] == "https://camera.cn-hangzhou.ots.aliyuncs.com" and query["internetAccess"] is True
    assert "CAMERA_OWNER_HEADER" not in env
    writes = len(cloud_state["writes"])

    changed, out = play()
    assert changed == 0, out[-4000:]
    changed, out = play("--check")
    assert changed == 0, out[-4000:]
    assert len(state()["writes"]) == writes

    changed, out = play("-e", "camera_backend_state=absent")
    assert changed > 0
    cloud_state = state()
    assert cloud_state["fc_functions"] == {} and cloud_state["ram_roles"] == {} and cloud_state["ram_policies"] == {}
    assert cloud_state["ots_tables"] == {} and not cloud_state["oss"]["exists"]
    changed, out = play("-e", "camera_backend_state=absent")
    assert changed == 0, out[-4000:]
