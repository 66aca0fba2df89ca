"""The menu: every place a researcher starts from, named in both languages.

datasette-dashboards adds its own "Dashboards" entry (English, to a list); ours names the
dashboards in both languages and kb.css hides the duplicate.
"""

from __future__ import annotations

from typing import Any

from . import report_page, timeline_page
from .settings import kb_database_name


def menu_links(datasette: Any) -> list[dict[str, str]]:
    db = kb_database_name(datasette)
    return [
        {"href": datasette.urls.path("/-/search"), "label": "Tìm kiếm / Search"},
        {"href": datasette.urls.table(db, "articles"), "label": "Bài viết / Articles"},
        report_page.menu_link(datasette),
        {
            "href": datasette.urls.path("/-/dashboards/tong-quan"),
            "label": "Bảng điều khiển / Dashboard",
        },
        timeline_page.menu_link(datasette),
        {
            "href": datasette.urls.database(db) + "#queries",
            "label": "Truy vấn có sẵn / Saved queries",
        },
    ]
