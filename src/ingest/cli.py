"""The `ingest` command line. Each area registers its own subcommands in `ingest.commands`."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Each module exposes `register(subparsers)` and sets `func` on the parsers it adds.
COMMAND_MODULES = (
    "ingest.commands.pipeline",  # run, demo, serve, reprocess, backfill, schedule
    "ingest.commands.extract",  # extract, eval-extract
    "ingest.commands.classify",  # classify, eval-tags
    "ingest.commands.samples",  # samples (serve the bundled sample sites)
    "ingest.commands.evidence",  # report, stories, archive, verify-archive
    "ingest.commands.activities",  # activities, eval-activities
    "ingest.commands.ops",  # schedule, health
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ingest", description="Hanoi creative-city knowledge base pipeline"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # No telemetry from a research crawler, and no network beyond the configured sites.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`ingest extract *.html | head`): stop quietly, as `cat` does.
        # stdout goes to /dev/null so that flushing its buffer at exit raises nothing more
        # (the recipe of Python's documentation, "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13  # what a shell reports for a command ended by SIGPIPE
    except Exception as exc:
        from .config import ConfigError  # not at the top: pydantic costs ~0.1 s of every --help

        if isinstance(exc, ConfigError):
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
