# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the camera function tests (the harness is in camera_harness.py)."""

import os
import sys

import pytest
import responses

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from camera_harness import Camera


@pytest.fixture
def oss_mock():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def camera(oss_mock):
    return Camera(oss_mock)
