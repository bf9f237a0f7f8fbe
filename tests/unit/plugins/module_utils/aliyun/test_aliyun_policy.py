# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import policy
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError

names = st.text("abcdefghijklmnopqrstuvwxyz:*/-", min_size=1, max_size=12)
statements = st.fixed_dictionaries({
    "Effect": st.sampled_from(["Allow", "Deny"]),
    "Action": st.lists(names, min_size=1, max_size=4, unique=True),
    "Resource": st.lists(names, min_size=1, max_size=4, unique=True),
})
documents = st.fixed_dictionaries({"Version": st.just("1"), "Statement": st.lists(statements, min_size=1, max_size=4)})


@settings(max_examples=200, deadline=None, database=None)
@given(doc=documents, seed=st.integers())
def test_order_and_spelling_do_not_matter(doc, seed):
    rng = random.Random(seed)
    variant = json.loads(json.dumps(doc))
    rng.shuffle(variant["Statement"])
    for statement in variant["Statement"]:
        rng.shuffle(statement["Action"])
        statement["Action"] = [a.upper() if rng.random() < 0.5 else a for a in statement["Action"]]
        if len(statement["Resource"]) == 1 and rng.random() < 0.5:
            statement["Resource"] = statement["Resource"][0]
        statement["Effect"] = statement["Effect"].lower()
    assert policy.same(doc, json.dumps(variant))
    assert policy.normalize(policy.normalize(doc)) == policy.normalize(doc)


@settings(max_examples=200, deadline=None, database=None)
@given(doc=documents, extra=names)
def test_a_real_difference_is_seen(doc, extra):
    changed = json.loads(json.dumps(doc))
    resources = changed["Statement"][0]["Resource"]
    if extra in resources:
        return
    resources.append(extra)
    assert not policy.same(doc, changed)


@pytest.mark.parametrize("bad", ["{", "[]", '{"Version": "1"}', 5, {"Statement": ["x"]}])
def test_invalid_documents(bad):
    with pytest.raises(AliyunError):
        policy.normalize(bad)
