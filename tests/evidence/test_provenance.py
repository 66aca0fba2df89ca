"""Provenance: every article points at its raw response, and tampering with the archive shows."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from ingest.evidence.provenance import (
    archive_text,
    default_raw_dir,
    provenance,
    read_archived,
    safe_text,
    verify_archive,
    warc_location,
)
from ingest.store.db import connect


def _last_record_in_a_file(db):
    """(article id, warc file, offset) of the last record of some WARC file: no offsets after it."""
    return db.execute(
        "select id, warc_file, warc_offset from articles a where warc_offset = "
        "(select max(warc_offset) from articles b where b.warc_file = a.warc_file) "
        "order by id limit 1"
    ).fetchone()


def test_every_article_has_full_provenance(sample_db):
    db = connect(sample_db, migrate=False)
    ids = [r[0] for r in db.execute("select id from articles order by id")]
    assert len(ids) == 43
    for aid in ids:
        p = provenance(db, aid)
        assert p is not None and p.archived
        assert p.url.startswith("http://127.0.0.1:")
        assert p.canonical_url and p.fetched_at and p.fetched_at.endswith("+07:00")
        assert p.http_status == 200
        assert len(p.raw_sha256 or "") == 64
        assert p.warc_record_id and p.warc_record_id.startswith("<urn:uuid:")
        assert p.extractor_version and p.tagger_version
        assert p.datasette_path() == f"/-/archive/{aid}"
    assert provenance(db, 10_000) is None


def test_archive_matches_recorded_hash(sample_db):
    db = connect(sample_db, migrate=False)
    raw = default_raw_dir(sample_db)
    assert verify_archive(db, raw) == []
    aid, warc_file, offset = db.execute(
        "select id, warc_file, warc_offset from articles order by id limit 1"
    ).fetchone()
    copy = read_archived(raw, warc_file, offset)
    expected = db.execute("select raw_sha256, url from articles where id = ?", [aid]).fetchone()
    assert hashlib.sha256(copy.raw_body).hexdigest() == expected[0]
    assert copy.target_uri == expected[1]


def test_archive_text_shows_source_as_text(sample_db):
    db = connect(sample_db, migrate=False)
    aid, title = db.execute(
        "select id, title from articles where title like 'Lễ hội Thiết kế sáng tạo Hà Nội 2023%'"
    ).fetchone()
    text = archive_text(db, aid, default_raw_dir(sample_db))
    assert "(matches the archive)" in text
    assert "200 OK" in text
    assert f"<title>{title}" in text  # HTML source, shown as text
    with pytest.raises(LookupError):
        archive_text(db, 10_000, default_raw_dir(sample_db))


def test_safe_text_strips_terminal_escapes():
    assert safe_text("a\x1b[2J\x1b]0;x\x07b\r\nc\td\x00") == "a]0;xb\nc\td"
    assert safe_text("Hà Nội\n") == "Hà Nội\n"


def test_warc_location_refuses_escapes(tmp_path):
    assert warc_location(tmp_path, "raw/a.warc.gz") == (tmp_path / "a.warc.gz").resolve()
    with pytest.raises(ValueError):
        warc_location(tmp_path, "../kb.db")


def test_editing_a_byte_of_the_body_is_detected(sample_db_copy):
    """Recompress the last record of a file with one body byte changed: gzip stays valid."""
    db = connect(sample_db_copy)
    raw = default_raw_dir(sample_db_copy)
    aid, warc_file, offset = _last_record_in_a_file(db)
    path = raw / warc_file
    data = path.read_bytes()
    member = gzip.decompress(data[offset:])
    pos = member.index(b"<title>") + len(b"<title>")
    tampered = member[:pos] + bytes([member[pos] ^ 0x01]) + member[pos + 1 :]
    path.write_bytes(data[:offset] + gzip.compress(tampered))
    found = verify_archive(db, raw)
    assert [(m.article_id, m.reason) for m in found] == [(aid, "sha256 differs")]
    assert found[0].actual_sha256 != found[0].expected_sha256
    assert "ARCHIVE HAS" in archive_text(db, aid, raw)


def test_flipping_a_byte_of_the_compressed_file_is_detected(sample_db_copy):
    db = connect(sample_db_copy)
    raw = default_raw_dir(sample_db_copy)
    aid, warc_file, offset = _last_record_in_a_file(db)
    path = raw / warc_file
    data = bytearray(path.read_bytes())
    data[offset + (len(data) - offset) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    found = verify_archive(db, raw)
    assert [m.article_id for m in found] == [aid]
    # where the flipped byte lands (it depends on the record sizes) decides which check trips
    # first: gzip/deflate fails, the WARC headers come out garbled, or the payload hash differs
    assert found[0].reason.startswith(("record unreadable", "record id", "sha256 differs"))


def test_missing_archive_file_is_reported(sample_db_copy):
    db = connect(sample_db_copy)
    raw = default_raw_dir(sample_db_copy)
    warc_file = db.execute("select warc_file from articles where source_id = 'tonghop'").fetchone()[
        0
    ]
    n = db.execute("select count(*) from articles where warc_file = ?", [warc_file]).fetchone()[0]
    (raw / warc_file).unlink()
    found = verify_archive(db, raw)
    assert len(found) == n == 6
    assert {m.reason for m in found} == {"archive file missing"}
