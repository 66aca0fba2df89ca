"""Sites served on loopback (127.0.0.1), standing in for the real outlets.

Used by the tests, the benchmarks, `ingest samples` and `ingest demo`; nothing in the pipeline
imports it. No machine here reaches the internet, so every crawl that is exercised end to end
crawls these.

- `samplesites`: the bundled sample outlets (our own Vietnamese articles in several templates,
  with feeds, sitemaps, listings and search) and their gold labels.
- `generate`: synthetic sites of any size and with injected faults, for scale and crash tests.
- `loopback`: a small threaded HTTP server with scripted routes and a request log.
"""

from .generate import GeneratedSite
from .loopback import LoopbackServer, free_port, send

__all__ = ["GeneratedSite", "LoopbackServer", "free_port", "send"]
