"""Answering queries: the worker pool, the answer cache, describe, search, network, output formats."""
