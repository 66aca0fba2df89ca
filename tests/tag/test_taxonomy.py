"""taxonomy.yaml: the ids researchers rely on, validation messages, and the database sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.config import ConfigError
from ingest.store.db import connect
from ingest.tag.taxonomy import expand_alias, load_taxonomy, sync_taxonomy

REPO = Path(__file__).resolve().parents[2]
TAXONOMY = REPO / "taxonomy.yaml"

INITIATIVES = [
    "design_center",
    "creative_spaces",
    "talent_tv",
    "design_festival",
    "sea_forum",
    "young_designers",
]
TOPICS = ["uccn_membership", "cultural_industry"]
AGENCIES = [
    "hanoi_pc",
    "hanoi_party",
    "hanoi_council",
    "propaganda_dept",
    "doc_sports",
    "dept_tourism",
    "dept_foreign",
    "dept_planning",
    "district_pc",
    "mofa",
    "mocst",
    "unesco_natcom",
    "unesco_office",
    "hanoi_tv",
    "hanoi_museum",
]

MINIMAL = """\
context:
  hanoi: [Hà Nội]
initiatives:
  - id: design_festival
    kind: initiative
    level: international
    name_vi: Lễ hội Thiết kế sáng tạo Hà Nội
    name_en: Hanoi Creative Design Festival
    aliases: [Lễ hội Thiết kế sáng tạo Hà Nội]
agencies:
  - id: hanoi_pc
    level: city
    name_vi: UBND thành phố Hà Nội
    name_en: Hanoi People's Committee
    aliases: [UBND TP Hà Nội]
  - id: doc_sports
    level: city
    parent: hanoi_pc
    name_vi: Sở Văn hóa và Thể thao Hà Nội
    name_en: Hanoi Department of Culture and Sports
    aliases: [Sở VH&TT Hà Nội]
"""


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy(TAXONOMY)


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "taxonomy.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_repository_taxonomy_has_the_contract_ids(tax):
    assert [i.id for i in tax.initiatives if i.kind == "initiative"] == INITIATIVES
    assert [i.id for i in tax.initiatives if i.kind == "topic"] == TOPICS
    assert set(AGENCIES) <= set(tax.agency_ids)
    for extra in ("dept_industry_trade", "dept_science", "dept_ic", "vicas", "vn_architects"):
        assert extra in tax.agency_ids


def test_levels_and_parents(tax):
    assert tax.initiative("design_center").level == "local"
    assert tax.initiative("design_festival").level == "international"
    assert tax.initiative("uccn_membership").level == "umbrella"
    assert tax.agency("mocst").level == "ministry"
    assert tax.agency("district_pc").level == "district"
    assert tax.agency("district_pc").parent == "hanoi_pc"
    assert tax.agency("propaganda_dept").parent == "hanoi_party"


def test_former_names_are_aliases(tax):
    # 2025 mergers: the old names still find the agency that absorbed or replaced them
    assert "Sở Văn hóa, Thể thao và Du lịch Hà Nội" in tax.agency("doc_sports").aliases
    assert any("Tuyên giáo và Dân vận" in a for a in tax.agency("propaganda_dept").aliases)
    assert "UBND quận Hoàn Kiếm" in tax.agency("district_pc").aliases


def test_expand_alias_optional_words():
    assert expand_alias("Sở VH[&]TT") == ["Sở VH&TT", "Sở VHTT"]
    assert expand_alias("Mạng lưới [các] thành phố sáng tạo [UNESCO]") == [
        "Mạng lưới các thành phố sáng tạo UNESCO",
        "Mạng lưới các thành phố sáng tạo",
        "Mạng lưới thành phố sáng tạo UNESCO",
        "Mạng lưới thành phố sáng tạo",
    ]


def test_minimal_file_loads_and_digest_follows_content(tmp_path):
    a = load_taxonomy(write(tmp_path, MINIMAL))
    assert a.agency_ids == ["hanoi_pc", "doc_sports"]
    assert a.relevance.threshold == 1.0  # defaults when no relevance: section
    b = load_taxonomy(write(tmp_path, MINIMAL + "\n# one more comment\n"))
    assert a.digest != b.digest
    assert len(a.digest) == 64


def test_bad_yaml_names_the_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_taxonomy(write(tmp_path, "context:\n  hanoi: [Hà Nội\n"))
    assert "invalid YAML at line" in str(err.value)
    assert err.value.file.endswith("taxonomy.yaml")


def test_unknown_key_names_the_entry(tmp_path):
    text = MINIMAL.replace("    aliases: [UBND TP Hà Nội]", "    alias: [UBND TP Hà Nội]")
    with pytest.raises(ConfigError) as err:
        load_taxonomy(write(tmp_path, text))
    assert "agencies[0] (id: hanoi_pc): unknown key 'alias'" in err.value.problems


def test_duplicate_id(tmp_path):
    text = MINIMAL.replace("  - id: doc_sports", "  - id: hanoi_pc")
    text = text.replace("    parent: hanoi_pc\n", "")
    with pytest.raises(ConfigError) as err:
        load_taxonomy(write(tmp_path, text))
    assert err.value.problems == [
        "agencies[1] (id: hanoi_pc): duplicate id, first used by agencies[0]"
    ]


def test_unknown_parent(tmp_path):
    text = MINIMAL.replace("parent: hanoi_pc", "parent: hanoi_cp")
    with pytest.raises(ConfigError) as err:
        load_taxonomy(write(tmp_path, text))
    assert err.value.problems == ["agencies[1] (id: doc_sports): unknown parent 'hanoi_cp'"]


def test_bad_level(tmp_path):
    text = MINIMAL.replace("    level: international", "    level: global")
    with pytest.raises(ConfigError) as err:
        load_taxonomy(write(tmp_path, text))
    (problem,) = err.value.problems
    assert problem.startswith("initiatives[0] (id: design_festival) field level:")
    assert "'local', 'international' or 'umbrella'" in problem


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_taxonomy(tmp_path / "nope.yaml")
    assert err.value.problems == ["file not found"]


def test_sync_taxonomy_upserts(tmp_path, tax):
    db = connect(tmp_path / "kb.db")
    sync_taxonomy(db, tax)
    sync_taxonomy(db, tax)  # idempotent
    assert db["initiatives"].count == 8
    assert db["agencies"].count == len(tax.agencies)
    row = db["initiatives"].get("design_festival")
    assert row["kind"] == "initiative"
    assert row["name_en"] == "Hanoi Creative Design Festival"
    assert db["initiatives"].get("cultural_industry")["kind"] == "topic"
    assert db["agencies"].get("doc_sports")["parent"] == "hanoi_pc"
