from ingest.crawl.urls import canonicalize, in_scope


def test_tracking_params_fragments_and_case():
    assert canonicalize(
        "HTTPS://WWW.Bao.test:443/Van-hoa/a-1.htm?utm_source=fb&id=3&fbclid=x#top"
    ) == ("https://www.bao.test/Van-hoa/a-1.htm?id=3")


def test_amp_and_mobile_variants_map_to_main_article():
    main = "https://bao.test/van-hoa/a-1.htm"
    assert canonicalize("https://m.bao.test/van-hoa/a-1.htm") == main
    assert canonicalize("https://amp.bao.test/van-hoa/a-1.htm") == main
    assert canonicalize("https://bao.test/van-hoa/a-1.htm/amp") == main
    assert canonicalize("https://bao.test/van-hoa/a-1.htm?amp=1") == main


def test_relative_and_loopback_ports():
    assert canonicalize("../b-2.htm", "http://127.0.0.1:8101/van-hoa/a-1.htm") == (
        "http://127.0.0.1:8101/b-2.htm"
    )
    assert in_scope("http://127.0.0.1:8101/x", {"127.0.0.1:8101"})
    assert not in_scope("http://127.0.0.1:8102/x", {"127.0.0.1:8101"})
    assert in_scope("https://www.bao.test/x", {"bao.test"})
    assert not in_scope("https://evil.test/x", {"bao.test"})
