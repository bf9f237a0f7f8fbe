# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_image's input checks and catalogue scopes with an in-memory API and a registry stand-in
(the real registry is exercised by tests/integration/test_gpu_image_registry.py)."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.images import ImageService
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.registry import split_repository
from ansible_collections.opsforge.infra.plugins.modules import gpu_image
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.k8s.test_k8s_fake_api import FakeApi, namespace
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import inject_api, run_module


class Registry:
    """Tags -> digests, as the registry would answer; counts the lookups."""

    def __init__(self, tags):
        self.tags = tags
        self.asked = []

    def digest(self, repository, tag):
        self.asked.append((repository, tag))
        if tag not in self.tags:
            raise K8sError("tag %s of %s does not exist in the registry" % (tag, repository))
        return self.tags[tag]


TAGS = {"1.0": "sha256:" + "a" * 64, "2.0": "sha256:" + "b" * 64}


def params(**extra):
    out = dict(name="testapp", workspace="vision", namespace=None, repository="registry.example.com/opsforge/testapp",
               versions=["1.0", "2.0"], default=None, gpu_models=None, description=None, state="present")
    out.update(extra)
    return out


@pytest.mark.parametrize("bad,message", [
    (dict(versions=[]), "catalogue image testapp needs at least one version"),
    (dict(versions=["1.0", "1.0"]), "versions of testapp list a tag twice: 1.0, 1.0"),
    (dict(default="3.0"), "default '3.0' of image testapp is not one of its versions (1.0, 2.0)"),
    (dict(repository="registry.example.com/opsforge/testapp:1.0"), "is not an image repository"),
    (dict(repository="Registry.example.com/Team/App:x"), "is not an image repository"),
    (dict(name="Test_App"), "image 'Test_App' is not a valid name"),
    (dict(versions=["1.0", "9.9"]), "tag 9.9 of registry.example.com/opsforge/testapp does not exist"),
])
def test_bad_input_is_refused_before_any_write(bad, message):
    api = FakeApi([namespace()])
    with pytest.raises(K8sError) as err:
        ImageService(api, Registry(TAGS)).present(params(**bad))
    assert message in err.value.msg and api.writes == []


def test_default_is_the_first_version_and_the_digests_are_pinned():
    api = FakeApi([namespace()])
    result = ImageService(api, Registry(TAGS)).present(params())
    image = result["image"]
    assert image["default"] == "1.0" and image["namespace"] == "ws-vision" and image["workspace"] == "vision"
    assert [v["reference"] for v in image["versions"]] == [
        "registry.example.com/opsforge/testapp:1.0@" + TAGS["1.0"], "registry.example.com/opsforge/testapp:2.0@" + TAGS["2.0"]]


def test_a_moved_tag_changes_the_pinned_digest():
    api = FakeApi([namespace()])
    ImageService(api, Registry(TAGS)).present(params())
    moved = dict(TAGS, **{"2.0": "sha256:" + "c" * 64})
    result = ImageService(api, Registry(moved)).present(params())
    assert result["changed"] is True
    assert result["diff"]["before"]["versions"][1]["digest"] == TAGS["2.0"]
    assert result["diff"]["after"]["versions"][1]["digest"] == moved["2.0"]


def test_the_platform_catalogue_creates_its_namespace_and_is_seen_by_workspaces():
    api = FakeApi([namespace()])
    ImageService(api, Registry(TAGS)).present(params(workspace=None, name="base"))
    assert C.PLATFORM_NAMESPACE in api.objects("Namespace")
    ImageService(api, Registry(TAGS)).present(params(description="team build"))
    images = ImageService(api).info({"workspace": "vision", "namespace": None, "name": None})
    assert [(i["name"], i["namespace"], i["workspace"]) for i in images] == [
        ("base", C.PLATFORM_NAMESPACE, None), ("testapp", "ws-vision", "vision")]


def test_check_mode_before_the_workspace_exists_predicts_and_warns():
    api = FakeApi(dry_run=True)
    service = ImageService(api, Registry(TAGS))
    result = service.present(params())
    assert result["changed"] is True and api.writes == [] and result["image"]["versions"][0]["digest"] == TAGS["1.0"]
    assert "ws-vision does not exist yet" in service.warnings[0]
    with pytest.raises(K8sError, match="ws-vision does not exist: create it with opsforge.infra.gpu_workspace"):
        ImageService(FakeApi(), Registry(TAGS)).present(params())


@pytest.mark.parametrize("repository,expected", [
    ("127.0.0.1:5000/opsforge/testapp", ("127.0.0.1:5000", "opsforge/testapp")),
    ("registry.example.com/ml/pytorch", ("registry.example.com", "ml/pytorch")),
    ("localhost/app", ("localhost", "app")),
    ("pytorch/pytorch", ("registry-1.docker.io", "pytorch/pytorch")),
    ("ubuntu", ("registry-1.docker.io", "library/ubuntu")),
])
def test_repository_names_split_as_docker_does(repository, expected):
    assert split_repository(repository) == expected


def test_module_check_mode_then_create_then_idempotent(monkeypatch, capsys):
    api = FakeApi([namespace()])
    inject_api(monkeypatch, gpu_image, api)
    monkeypatch.setattr(gpu_image, "RegistryClient", lambda *args: Registry(TAGS))
    args = dict(name="testapp", workspace="vision", repository="registry.example.com/opsforge/testapp", versions=["1.0", "2.0"])
    assert run_module(capsys, gpu_image, check=True, **args)["changed"] is True and api.writes == []
    result = run_module(capsys, gpu_image, **args)
    assert result["changed"] is True and result["image"]["default"] == "1.0" and api.writes
    assert run_module(capsys, gpu_image, **args)["changed"] is False
    unknown_tag = dict(args)
    unknown_tag["versions"] = ["9.9"]
    result = run_module(capsys, gpu_image, **unknown_tag)
    assert result["failed"] is True and "tag 9.9 of registry.example.com/opsforge/testapp does not exist" in result["msg"]
    result = run_module(capsys, gpu_image, **dict(args, registry_timeout="soon"))
    assert result["failed"] is True and "registry_timeout" in result["msg"]


def test_module_raises_the_prediction_warning_only_when_it_predicts(monkeypatch, capsys):
    api = FakeApi()
    inject_api(monkeypatch, gpu_image, api)
    monkeypatch.setattr(gpu_image, "RegistryClient", lambda *args: Registry(TAGS))
    result = run_module(capsys, gpu_image, check=True, name="testapp", workspace="vision",
                        repository="registry.example.com/opsforge/testapp", versions=["1.0"])
    assert result["changed"] is True and api.writes == []
    assert len(result["warnings"]) == 1 and "ws-vision does not exist yet" in result["warnings"][0]
    result = run_module(capsys, gpu_image, check=True, name="testapp", workspace="vision", state="absent")
    assert result["changed"] is False and result["warnings"] == []
