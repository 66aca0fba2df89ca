"""Hanoi creative-city knowledge base: crawl, extract, tag and publish Vietnamese coverage."""

__version__ = "0.1.0"
