"""Bags written by earlier releases keep verifying; a bag of no known layout does not.

The archive already built must never turn invalid when the layout evolves: each bag is judged
by the profile and rules of the release its ``Bag-Software-Agent`` names.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.verify import Options, verify_target
from pipeline.verify.profile import default_profile_path, load_profile

from .conftest import REPO
from .test_verify import edit, reseal

RELEASE_0_1_0 = REPO / "tests" / "fixtures" / "bags-0.1.0"
BAGS_0_1_0 = sorted(
    p.name for p in RELEASE_0_1_0.iterdir() if p.is_dir() or p.name.endswith((".zip", ".tar.gz"))
)


def test_there_are_five_bags_of_release_0_1_0():
    assert len(BAGS_0_1_0) == 5


@pytest.mark.parametrize("name", BAGS_0_1_0)
def test_a_bag_written_by_0_1_0_verifies_with_exit_0(name, capsys):
    assert main(["verify", str(RELEASE_0_1_0 / name)]) == 0, capsys.readouterr().out


def test_a_0_1_0_bag_is_checked_against_the_v1_profile_and_a_new_one_against_v2():
    v1 = load_profile(default_profile_path(1))["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]
    v2 = load_profile(default_profile_path(2))["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]
    assert v1.endswith("/un-document-v1.json") and v2.endswith("/un-document-v2.json")
    info = (RELEASE_0_1_0 / "A_HRC_49_9105-FR" / "bag-info.txt").read_text(encoding="utf-8")
    assert f"BagIt-Profile-Identifier: {v1}\n" in info


@pytest.fixture
def old_bag(tmp_path) -> Path:
    return Path(shutil.copytree(RELEASE_0_1_0 / "A_HRC_49_9105-FR", tmp_path / "A_HRC_49_9105-FR"))


@pytest.mark.parametrize("agent", ["unfolio 9.0.0", "bagit.py v1.9"])
def test_a_bag_of_no_layout_this_unfolio_knows_fails_meta_profile_layout(old_bag, agent):
    edit(
        old_bag, "bag-info.txt", "Bag-Software-Agent: unfolio 0.1.0", f"Bag-Software-Agent: {agent}"
    )
    reseal(old_bag)
    codes = [f.code for f in verify_target(old_bag, Options(second_opinions=False)).findings]
    assert "META-PROFILE-LAYOUT" in codes
    assert verify_target(old_bag, Options(bagit_only=True)).findings == []


def test_a_0_1_0_bag_claiming_the_v2_profile_fails(old_bag):
    edit(old_bag, "bag-info.txt", "un-document-v1.json", "un-document-v2.json")
    reseal(old_bag)
    found = verify_target(old_bag, Options(second_opinions=False)).findings
    codes = [f.code for f in found if f.severity != "note"]  # notes: reproduction not possible
    assert codes == ["META-PROFILE-IDENTIFIER"]
