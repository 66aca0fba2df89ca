"""A small, hand-written knowledge base for the Datasette tests.

Built with the real schema (`ingest.store.db.connect`) and the real FTS indexing
(`ingest.store.db.index_article`), but without running the pipeline, so the Datasette tests stay fast
and independent of crawling, extraction and tagging. Every expected value in the tests comes
from the rows below.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ingest.store.db import connect, index_article

SOURCES = [
    {"id": "hanoimoi", "name": "Hà Nội Mới", "kind": "press", "home": "https://hanoimoi.vn/"},
    {"id": "vnexpress", "name": "VnExpress", "kind": "press", "home": "https://vnexpress.net/"},
    {
        "id": "hanoi_gov",
        "name": "Cổng TTĐT Hà Nội",
        "kind": "portal",
        "home": "https://hanoi.gov.vn/",
    },
]

INITIATIVES = [
    (
        "design_center",
        "Trung tâm Thiết kế sáng tạo Hà Nội",
        "Hanoi Creative Design Centre",
        "initiative",
        "local",
    ),
    ("creative_spaces", "Không gian sáng tạo", "Creative spaces", "initiative", "local"),
    ("talent_tv", "Tài năng sáng tạo Hà Nội", "Hanoi Creative Talent (TV)", "initiative", "local"),
    (
        "design_festival",
        "Lễ hội Thiết kế sáng tạo Hà Nội",
        "Hanoi Creative Design Festival",
        "initiative",
        "international",
    ),
    (
        "sea_forum",
        "Diễn đàn các Thành phố sáng tạo Đông Nam Á",
        "Southeast Asia UCCN forum",
        "initiative",
        "international",
    ),
    (
        "young_designers",
        "Mạng lưới nhà thiết kế sáng tạo trẻ",
        "Young creative designers network",
        "initiative",
        "international",
    ),
    (
        "uccn_membership",
        "Thành viên Mạng lưới các Thành phố sáng tạo",
        "UCCN membership",
        "topic",
        None,
    ),
    ("cultural_industry", "Công nghiệp văn hóa", "Cultural industries", "topic", None),
]

AGENCIES = [
    ("hanoi_pc", "UBND thành phố Hà Nội", "Hanoi People's Committee", "city"),
    (
        "doc_sports",
        "Sở Văn hóa và Thể thao Hà Nội",
        "Hanoi Department of Culture and Sports",
        "city",
    ),
    ("hanoi_tv", "Đài Phát thanh và Truyền hình Hà Nội", "Hanoi Radio and Television", "city"),
    (
        "unesco_office",
        "Văn phòng UNESCO tại Việt Nam",
        "UNESCO office in Viet Nam",
        "international",
    ),
    ("mofa", "Bộ Ngoại giao", "Ministry of Foreign Affairs", "national"),
]


@dataclass
class Art:
    """One article and its tags: (label, field, evidence sentence) triples."""

    id: int
    source_id: str
    published: str
    title: str
    lead: str
    text: str
    relevant: int = 1
    initiatives: list[tuple[str, str, str]] = field(default_factory=list)
    agencies: list[tuple[str, str, str]] = field(default_factory=list)
    story_id: int | None = None
    raw_html: str | None = None


FESTIVAL_TEXT = (
    "Tối 11/11, Lễ hội Thiết kế sáng tạo Hà Nội 2023 khai mạc tại vườn hoa tượng đài Lý Thái Tổ.\n"
    "Sở Văn hóa và Thể thao Hà Nội cho biết lễ hội có gần 50 hoạt động quanh hồ Hoàn Kiếm.\n"
    "Các nhà thiết kế trẻ mang đến nhiều sản phẩm lấy cảm hứng từ phố cổ."
)
FESTIVAL_COPY_TEXT = (
    "Lễ hội Thiết kế sáng tạo Hà Nội năm nay kéo dài chín ngày với nhiều không gian trưng bày.\n"
    "UBND thành phố Hà Nội giao các sở phối hợp tổ chức chuỗi sự kiện."
)
TALENT_TEXT = (
    "Đài Phát thanh và Truyen hinh Hà Nội vừa phát sóng số đầu của chương trình Tài năng sáng tạo Hà Nội.\n"
    "Chương trình tìm kiếm những người trẻ có ý tưởng thiết kế gắn với Thủ đô."
)
MEMBERSHIP_TEXT = (
    "Ngày 31/10/2019, Hà Nội chính thức gia nhập Mạng lưới các Thành phố sáng tạo của UNESCO.\n"
    "Văn phòng UNESCO tại Việt Nam đánh giá đây là dấu mốc quan trọng của Thủ đô.\n"
    "Bộ Ngoại giao đã hỗ trợ thành phố trong quá trình chuẩn bị hồ sơ."
)
INDUSTRY_TEXT = (
    "Thành ủy Hà Nội ban hành Nghị quyết 09-NQ/TU về phát triển các ngành công nghiệp văn hóa.\n"
    "Trong đó các lễ hội truyền thống và ngành thiết kế, thời trang được xác định là trọng tâm."
)
SPACES_TEXT = (
    "Phố đi bộ Hoàn Kiếm có thêm một không gian sáng tạo dành cho nghệ nhân làng nghề.\n"
    'Ban tổ chức dán tấm biển ghi <script>alert("x")</script> để đùa khách tham quan.'
)

ARTICLES: list[Art] = [
    Art(
        1,
        "hanoimoi",
        "2023-11-11T20:00:00+07:00",
        "Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội 2023",
        "Lễ hội diễn ra từ ngày 11 đến 19/11 tại quận Hoàn Kiếm.",
        FESTIVAL_TEXT,
        initiatives=[
            ("design_festival", "text", FESTIVAL_TEXT.split("\n")[0]),
            ("young_designers", "text", FESTIVAL_TEXT.split("\n")[2]),
        ],
        agencies=[("doc_sports", "text", FESTIVAL_TEXT.split("\n")[1])],
        story_id=1,
        raw_html=(
            "<html><head><title>Khai mạc Lễ hội</title>"
            '<script>document.title="pwned"</script></head>'
            "<body><h1>Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội 2023</h1>"
            '<img src="https://tracker.example/pixel.gif"></body></html>'
        ),
    ),
    Art(
        2,
        "vnexpress",
        "2023-11-12T09:30:00+07:00",
        "Lễ hội thiết kế sáng tạo kéo dài chín ngày",
        "",
        FESTIVAL_COPY_TEXT,
        initiatives=[("design_festival", "text", FESTIVAL_COPY_TEXT.split("\n")[0])],
        agencies=[("hanoi_pc", "text", FESTIVAL_COPY_TEXT.split("\n")[1])],
        story_id=1,
    ),
    Art(
        3,
        "hanoi_gov",
        "2022-05-20T10:00:00+07:00",
        "Ra mắt chương trình Tài năng sáng tạo Hà Nội",
        "Chương trình truyền hình mới dành cho các nhà sáng tạo trẻ.",
        TALENT_TEXT,
        initiatives=[("talent_tv", "text", TALENT_TEXT.split("\n")[0])],
        agencies=[("hanoi_tv", "text", TALENT_TEXT.split("\n")[0])],
        story_id=2,
    ),
    Art(
        4,
        "hanoimoi",
        "2019-10-31T18:00:00+07:00",
        "Hà Nội gia nhập Mạng lưới các Thành phố sáng tạo UNESCO",
        "",
        MEMBERSHIP_TEXT,
        initiatives=[("uccn_membership", "text", MEMBERSHIP_TEXT.split("\n")[0])],
        agencies=[
            ("unesco_office", "text", MEMBERSHIP_TEXT.split("\n")[1]),
            ("mofa", "text", MEMBERSHIP_TEXT.split("\n")[2]),
        ],
    ),
    Art(
        5,
        "vnexpress",
        "2023-11-20T07:00:00+07:00",
        "Giá vàng hôm nay tăng mạnh",
        "",
        "Giá vàng miếng tăng thêm 500.000 đồng mỗi lượng trong phiên sáng.",
        relevant=0,
    ),
    Art(
        6,
        "hanoi_gov",
        "2022-08-16T15:00:00+07:00",
        "Triển khai Nghị quyết 09-NQ/TU về công nghiệp văn hóa",
        "",
        INDUSTRY_TEXT,
        initiatives=[("cultural_industry", "text", INDUSTRY_TEXT.split("\n")[0])],
        agencies=[],
    ),
    Art(
        7,
        "hanoimoi",
        "2023-03-05T08:00:00+07:00",
        "Không gian sáng tạo <b>mới</b> trên phố đi bộ",
        "",
        SPACES_TEXT,
        initiatives=[("creative_spaces", "text", SPACES_TEXT.split("\n")[0])],
    ),
]

RUNS = [
    ("2023-11-12T01:00:00+07:00", {"hanoimoi": 1, "vnexpress": 1, "hanoi_gov": 0}),
    ("2023-11-13T01:00:00+07:00", {"hanoimoi": 0, "vnexpress": 2, "hanoi_gov": 1}),
]


def _tag_row(article: Art, label: str, fld: str, evidence: str, key: str) -> dict[str, Any]:
    text = getattr(article, fld)
    start = text.index(evidence)
    return {
        "article_id": article.id,
        key: label,
        "evidence": evidence,
        "field": fld,
        "start": start,
        "end": start + len(evidence),
        "rule": "fixture",
        "tagger_version": "t1",
    }


def _write_warc(raw_dir: Path, article: Art) -> tuple[str, int, str]:
    """Append a WARC response record for the article; return (relative file, offset, sha256)."""
    rel = f"2023/{article.source_id}.warc.gz"
    path = raw_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    body = (article.raw_html or "").encode("utf-8")
    offset = path.stat().st_size if path.exists() else 0
    with path.open("ab") as fh:
        writer = WARCWriter(fh, gzip=True)
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        record = writer.create_warc_record(
            f"https://{article.source_id}.example/bai-{article.id}.html",
            "response",
            payload=io.BytesIO(body),
            http_headers=headers,
        )
        writer.write_record(record)
    return rel, offset, hashlib.sha256(body).hexdigest()


def build_kb(path: Path) -> Path:
    """Create the test knowledge base at `path` (and its WARC files in <dir>/raw/)."""
    db = connect(path)
    raw_dir = path.parent / "raw"
    with db.conn:
        db["sources"].insert_all([{**s, "language": "vi", "enabled": 1} for s in SOURCES])
        db["initiatives"].insert_all(
            {"id": i, "name_vi": vi, "name_en": en, "kind": k, "level": lv}
            for i, vi, en, k, lv in INITIATIVES
        )
        db["agencies"].insert_all(
            {"id": i, "name_vi": vi, "name_en": en, "level": lv} for i, vi, en, lv in AGENCIES
        )
        db["stories"].insert_all(
            [
                {
                    "id": 1,
                    "title": "Lễ hội Thiết kế sáng tạo Hà Nội 2023",
                    "first_published": "2023-11-11T20:00:00+07:00",
                    "first_article_id": 1,
                    "outlets": '["hanoimoi", "vnexpress"]',
                    "outlet_count": 2,
                    "article_count": 2,
                },
                {
                    "id": 2,
                    "title": "Tài năng sáng tạo Hà Nội",
                    "first_published": "2022-05-20T10:00:00+07:00",
                    "first_article_id": 3,
                    "outlets": '["hanoi_gov"]',
                    "outlet_count": 1,
                    "article_count": 1,
                },
            ]
        )
        kinds = {s["id"]: s["kind"] for s in SOURCES}
        for a in ARTICLES:
            warc = _write_warc(raw_dir, a) if a.raw_html else (None, None, None)
            row = {
                "id": a.id,
                "url": f"https://{a.source_id}.example/bai-{a.id}.html",
                "source_id": a.source_id,
                "source_kind": kinds[a.source_id],
                "title": a.title,
                "lead": a.lead,
                "text": a.text,
                "published": a.published,
                "published_date": a.published[:10],
                "published_month": a.published[:7],
                "published_year": int(a.published[:4]),
                "fetched_at": a.published,
                "first_seen": a.published,
                "updated_at": a.published,
                "language": "vi",
                "relevant": a.relevant,
                "http_status": 200,
                "warc_file": warc[0],
                "warc_offset": warc[1],
                "raw_sha256": warc[2],
                "initiative_ids": json.dumps([t[0] for t in a.initiatives]),
                "agency_ids": json.dumps([t[0] for t in a.agencies]),
                "story_id": a.story_id,
            }
            db["articles"].insert(row)
            index_article(db, a.id, row)
            for label, fld, ev in a.initiatives:
                db["article_initiatives"].insert(_tag_row(a, label, fld, ev, "initiative_id"))
            for label, fld, ev in a.agencies:
                db["article_agencies"].insert(_tag_row(a, label, fld, ev, "agency_id"))
        for n, (started, new_by_source) in enumerate(RUNS, 1):
            run_id = f"run-{n}"
            db["runs"].insert(
                {
                    "id": run_id,
                    "started_at": started,
                    "status": "ok",
                    "sources": len(new_by_source),
                    "new": sum(new_by_source.values()),
                }
            )
            for source_id, new in new_by_source.items():
                db["source_runs"].insert(
                    {
                        "run_id": run_id,
                        "source_id": source_id,
                        "started_at": started,
                        "discovered": 10,
                        "fetched": 5,
                        "new": new,
                        "health": "ok",
                        "status": "ok",
                    }
                )
    db.conn.close()
    return path


class SyncClient:
    """Datasette's async test client driven from one private event loop, so tests stay sync."""

    def __init__(self, ds: Any) -> None:
        import asyncio

        self.ds = ds
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(ds.invoke_startup())

    def get(self, path: str) -> Any:
        return self.loop.run_until_complete(self.ds.client.get(path))

    def json(self, path: str) -> Any:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return response.json()

    def close(self) -> None:
        self.loop.close()


def make_datasette(db_path: Path) -> Any:
    """A Datasette instance configured exactly like `ingest serve` (metadata and settings)."""
    from datasette.app import Datasette

    from ingest.publish.settings import load_metadata, settings_dict

    return Datasette([str(db_path)], metadata=load_metadata(), settings=settings_dict())
