# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The docsite: docs/*.md rendered to docs/docsite/rst/ (antsibull-docs reads RST only), listed in
docs/docsite/extra-docs.yml, links in docs/docsite/links.yml, a README per role, and
``antsibull-docs lint-collection-docs --plugin-docs`` clean on the built collection.

After editing docs/*.md, refresh the RST pages:  .venv/bin/python tests/quality/test_docsite.py --write
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
DOCS = os.path.join(ROOT, "docs")
RST = os.path.join(DOCS, "docsite", "rst")
LABEL = "ansible_collections.opsforge.infra.docsite.%s"


def md_pages():
    return sorted(f[:-3] for f in os.listdir(DOCS) if f.endswith(".md"))


def rst_name(page):
    return page.replace("-", "_")


def to_rst(page):
    """One Markdown page as RST (mistune's renderer plus tables as list-table)."""
    import mistune  # pylint: disable=import-outside-toplevel
    from mistune.renderers.rst import RSTRenderer  # pylint: disable=import-outside-toplevel

    class Renderer(RSTRenderer):
        def block_code(self, token, state):
            """A yaml block that is not YAML (a sketch with comments) is shown as text: the docsite parses yaml blocks."""
            lang = (token.get("attrs") or {}).get("info", "").split(" ")[0]
            if lang == "yaml":
                try:
                    yaml.safe_load(token["raw"])
                except yaml.YAMLError:
                    token = dict(token, attrs=dict(token.get("attrs") or {}, info="text"))
            return super().block_code(token, state)

        def table(self, token, state):
            rows = []
            for part in token["children"]:
                cells = [part["children"]] if part["type"] == "table_head" else [row["children"] for row in part["children"]]
                rows.extend([self.render_children(cell, state).replace("\n", " ").strip() or " " for cell in row] for row in cells)
            lines = [".. list-table::", "   :header-rows: 1", ""]
            for row in rows:
                lines.append("   * - " + row[0])
                lines.extend("     - " + cell for cell in row[1:])
            return "\n".join(lines) + "\n\n"

    with open(os.path.join(DOCS, page + ".md"), encoding="utf-8") as handle:
        text = handle.read()
    body = mistune.create_markdown(renderer=Renderer(), plugins=["table"])(text)
    header = ".. Generated from docs/%s.md by tests/quality/test_docsite.py --write; edit the Markdown.\n\n.. _%s:\n\n" % (page, LABEL % rst_name(page))
    return header + body.rstrip() + "\n"


def write_all():
    os.makedirs(RST, exist_ok=True)
    for page in md_pages():
        with open(os.path.join(RST, rst_name(page) + ".rst"), "w", encoding="utf-8") as handle:
            handle.write(to_rst(page))


def test_every_markdown_page_has_its_current_rst_page():
    stale = []
    for page in md_pages():
        path = os.path.join(RST, rst_name(page) + ".rst")
        if not os.path.exists(path):
            stale.append(page)
            continue
        with open(path, encoding="utf-8") as handle:
            if handle.read() != to_rst(page):
                stale.append(page)
    assert stale == [], "run: .venv/bin/python tests/quality/test_docsite.py --write"


def test_extra_docs_list_every_page_and_links_name_the_project():
    with open(os.path.join(DOCS, "docsite", "extra-docs.yml"), encoding="utf-8") as handle:
        extra = yaml.safe_load(handle)
    listed = [entry for section in extra["sections"] for entry in section["toctree"]]
    assert sorted(listed) == sorted(rst_name(p) for p in md_pages())
    with open(os.path.join(DOCS, "docsite", "links.yml"), encoding="utf-8") as handle:
        links = yaml.safe_load(handle)
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    assert links["edit_on_github"]["repository"] == galaxy["repository"].split("github.com/", 1)[1]
    assert {link["url"] for link in links["extra_links"]} >= {galaxy["issues"]}


@pytest.mark.parametrize("role", sorted(os.listdir(os.path.join(ROOT, "roles"))))
def test_every_role_has_a_readme_naming_its_variables(role):
    path = os.path.join(ROOT, "roles", role, "README.md")
    assert os.path.isfile(path), path
    with open(path, encoding="utf-8") as handle:
        readme = handle.read()
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    required = sorted(name for name, spec in options.items() if spec.get("required"))
    assert "opsforge.infra.%s" % role in readme
    missing = [name for name in required if name not in readme]
    assert missing == [], "README of %s does not name its required variables %s" % (role, missing)
    assert "ansible-doc -t role opsforge.infra.%s" % role in readme


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_antsibull_docs_lint_of_the_built_collection(built_tarball, tmp_path):
    """Lint the collection as built (not the working tree with its venv), beside its dependencies."""
    import ansible_collections  # pylint: disable=import-outside-toplevel

    site = [p for p in ansible_collections.__path__ if "site-packages" in p][0]
    tree = tmp_path / "ansible_collections"
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        deps = yaml.safe_load(handle)["dependencies"]
    for fqcn in deps:
        ns, name = fqcn.split(".")
        (tree / ns).mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.join(site, ns, name), tree / ns / name)
    target = tree / "opsforge" / "infra"
    target.mkdir(parents=True)
    with tarfile.open(built_tarball) as tar:
        tar.extractall(target, filter="data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    # Only this tree (ours and our dependencies): with --validate-collection-refs all, antsibull-docs uses the
    # collections ansible-doc sees instead of copying (its copies lose the dependencies' doc fragments here).
    env.update(PATH=BIN + os.pathsep + os.environ["PATH"], ANSIBLE_COLLECTIONS_PATH=str(tmp_path), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    proc = subprocess.run([os.path.join(BIN, "antsibull-docs"), "lint-collection-docs", "--plugin-docs", "--skip-rstcheck",
                           "--validate-collection-refs", "all", str(target)],
                          cwd=str(target), env=env, capture_output=True, text=True, check=False, timeout=900)
    assert proc.returncode == 0 and proc.stdout.strip() == "", (proc.stdout + proc.stderr)[-6000:]


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_all()
