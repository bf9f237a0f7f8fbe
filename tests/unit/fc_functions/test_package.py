# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``make fc-package``: one zip per function, with its dependencies, byte-for-byte reproducible."""

import hashlib
import json
import os
import subprocess
import sys
import zipfile

import pytest
from camera_harness import FC, ROOT

BUILD = os.path.join(FC, "build_packages.py")
WHEELHOUSE = os.path.join(ROOT, ".build", "fc", "wheelhouse")


def build(out, *extra):
    cmd = [sys.executable, BUILD, "--out", str(out), "--wheelhouse", WHEELHOUSE] + list(extra)
    subprocess.run(cmd, check=True, capture_output=True)
    with open(os.path.join(str(out), "manifest.json")) as handle:
        return json.load(handle)


def sha(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_code_only_builds_are_byte_identical_and_complete(tmp_path):
    first = build(tmp_path / "a", "--no-deps")
    os.utime(os.path.join(FC, "image_query", "index.py"))  # a new mtime must not change the bytes
    second = build(tmp_path / "b", "--no-deps")
    assert first == second
    assert sorted(first) == ["device_manager", "image_query", "upload_handler"]
    for name in first:
        with zipfile.ZipFile(str(tmp_path / "a" / ("%s.zip" % name))) as archive:
            infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert "index.py" in names and "camera_common/security.py" in names
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
        assert not any(n.endswith(".pyc") or "__pycache__" in n for n in names)


@pytest.mark.timeout(600)
def test_full_package_with_dependencies_is_reproducible(tmp_path):
    # offline: only the wheelhouse that `make fc-package` filled (tests send no traffic outside 127.0.0.0/8)
    assert os.path.isdir(WHEELHOUSE) and any(n.startswith("tablestore-") for n in os.listdir(WHEELHOUSE)), \
        "no wheelhouse: run `make fc-package` first (make test does)"
    first = build(tmp_path / "a", "--only", "image_query", "--offline")
    second = build(tmp_path / "b", "--only", "image_query", "--offline")
    assert first["image_query"]["sha256"] == second["image_query"]["sha256"]
    assert sha(str(tmp_path / "a" / "image_query.zip")) == sha(str(tmp_path / "b" / "image_query.zip"))
    with zipfile.ZipFile(str(tmp_path / "a" / "image_query.zip")) as archive:
        names = archive.namelist()
    assert "tablestore/__init__.py" in names
    assert any(n.startswith("tablestore-") and n.endswith(".dist-info/METADATA") for n in names)
    assert not any(n.startswith("bin/") for n in names)


def test_functions_json_matches_the_handlers():
    with open(os.path.join(FC, "functions.json")) as handle:
        spec = json.load(handle)
    for name, fn in spec["functions"].items():
        module, attr = fn["handler"].split(".")
        with open(os.path.join(FC, name, module + ".py")) as handle:
            assert ("def %s(event, context" % attr) in handle.read()


def test_role_deploys_the_same_functions_and_tables_as_terraform():
    import yaml

    with open(os.path.join(FC, "functions.json")) as handle:
        spec = json.load(handle)
    with open(os.path.join(ROOT, "roles", "camera_backend", "vars", "main.yml")) as handle:
        role = yaml.safe_load(handle)
    functions = role["_camera_backend_functions"]
    assert sorted(functions) == sorted(spec["functions"])
    for name, fn in functions.items():
        assert fn["handler"] == spec["functions"][name]["handler"]
        assert fn["timeout"] == spec["functions"][name]["timeout"]
    assert role["_camera_backend_runtime"] == spec["runtime"]
    tables = {t["name"]: t for t in role["_camera_backend_tables"]}
    assert sorted(tables) == ["device_nonces", "devices", "images"]
    from camera_common.store import DEVICE_COLUMNS, IMAGE_COLUMNS

    assert {c["name"] for c in tables["images"]["defined_columns"]} == set(IMAGE_COLUMNS)
    assert [c["name"] for c in tables["images"]["primary_key"]] == ["partition_key", "row_key"]
    assert [c["name"] for c in tables["devices"]["primary_key"]] == ["device_id"]
    assert "secret_hash" in DEVICE_COLUMNS and "secret" not in DEVICE_COLUMNS


def test_numpy_is_not_packaged(tmp_path):
    """tablestore pulls numpy in for flatbuffers' optional helpers; the package leaves it (40 MB, a slower cold start) out."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("camera_build_packages", BUILD)
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    for path in ("numpy/__init__.py", "numpy.libs/libopenblas.so", "numpy-1.26.4.dist-info/METADATA", "tablestore/__init__.py",
                 "flatbuffers/compat.py", "camera_common/numpy/x.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    names = [name for name, _path in builder.collect(str(tmp_path))]
    assert names == ["camera_common/numpy/x.py", "flatbuffers/compat.py", "tablestore/__init__.py"]


def test_pyc_are_shipped_only_for_the_runtime_version(tmp_path, monkeypatch):
    version = "%d.%d" % sys.version_info[:2]
    proc = subprocess.run([sys.executable, BUILD, "--out", str(tmp_path / "x"), "--no-deps", "--only", "image_query",
                           "--compile-with", sys.executable], capture_output=True, text=True, check=False)
    if version != "3.10":  # functions.json says python3.10: a .pyc of another version would be dead weight
        assert proc.returncode != 0 and "the runtime is python3.10" in proc.stderr
    import importlib.util

    spec = importlib.util.spec_from_file_location("camera_build_packages_pyc", BUILD)
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    monkeypatch.setattr(builder, "runtime_version", lambda: version)
    digests = []
    for out in ("a", "b"):
        (tmp_path / out).mkdir()
        target, digest = builder.build("image_query", str(tmp_path / out), str(tmp_path / "wheels"), with_deps=False, compile_with=sys.executable)
        digests.append(digest)
    assert digests[0] == digests[1]  # unchecked-hash .pyc: still byte-for-byte reproducible
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
    tag = sys.implementation.cache_tag
    assert "camera_common/__pycache__/security.%s.pyc" % tag in names and "index.py" in names


LEAN_IMPORT = r"""
import sys
sys.path.insert(0, sys.argv[1])
from camera_common import clients, config
ts = clients.load_tablestore()
assert "aiohttp" not in sys.modules, "the synchronous client does not need aiohttp"
cfg = config.load({"CAMERA_REGION": "cn-hangzhou", "CAMERA_BUCKET": "b", "CAMERA_OTS_ENDPOINT": "https://i.cn-hangzhou.ots.aliyuncs.com",
                   "CAMERA_OTS_INSTANCE": "i", "CAMERA_SIGNING_KEY": "k" * 40})
client = clients.ots_client(cfg, clients.Credentials("STS.a", "s", "t"))
assert isinstance(client, ts.OTSClient)
row = ts.Row([("device_id", "cam-1")], [("salt", "x")])
assert ts.Condition(ts.RowExistenceExpectation.EXPECT_NOT_EXIST) and row.primary_key
try:
    ts.connection.aiohttp.ClientSession()
except RuntimeError as exc:
    assert "AsyncOTSClient" in str(exc)
else:
    raise AssertionError("the aiohttp placeholder must refuse to be used")
import aiohttp  # anything else that wants aiohttp still gets the real one
assert hasattr(aiohttp, "ClientSession") and not isinstance(aiohttp, clients.AsyncOnly)
print("ok")
"""


def test_tablestore_is_imported_without_aiohttp():
    """aiohttp is half of tablestore's import time and only its AsyncOTSClient uses it: the functions do not load it."""
    proc = subprocess.run([sys.executable, "-c", LEAN_IMPORT, os.path.join(FC, "shared")], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-3000:]
