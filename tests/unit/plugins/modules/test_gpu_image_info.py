# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_image_info run in-process with the API client injected (FakeApi), over a catalogue ImageService wrote."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.images import ImageService
from ansible_collections.opsforge.infra.plugins.modules import gpu_image_info
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.k8s.test_k8s_fake_api import FakeApi, namespace
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import inject_api, run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.test_gpu_image import TAGS, Registry, params


@pytest.fixture
def api(monkeypatch):
    api = FakeApi([namespace()])
    ImageService(api, Registry(TAGS)).present(params(workspace=None, name="base"))
    ImageService(api, Registry(TAGS)).present(params())
    api.writes.clear()
    inject_api(monkeypatch, gpu_image_info, api)
    return api


def test_a_workspace_sees_its_images_and_the_platform_ones(api, capsys):
    for check in (False, True):
        result = run_module(capsys, gpu_image_info, check=check, workspace="vision")
        assert result["changed"] is False
        assert [(i["name"], i["namespace"]) for i in result["images"]] == [("base", C.PLATFORM_NAMESPACE), ("testapp", "ws-vision")]
    (image,) = run_module(capsys, gpu_image_info, workspace="vision", name="testapp")["images"]
    assert [v["digest"] for v in image["versions"]] == [TAGS["1.0"], TAGS["2.0"]] and image["default"] == "1.0"
    assert api.writes == []


def test_errors_are_clear(api, capsys):
    result = run_module(capsys, gpu_image_info, workspace="vision", nmae="testapp")
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "nmae" in result["msg"]
    api.fail[("list", "ConfigMap")] = K8sError("configmaps is forbidden", status=403, reason="Forbidden")
    result = run_module(capsys, gpu_image_info, workspace="vision")
    assert result["failed"] is True and "configmaps is forbidden" in result["msg"]
