"""Researchers' tools over the store: the actor–programme–municipality network (network.py) and
the figures of `kg report` (report.py). Lower layer: no web framework imports."""
