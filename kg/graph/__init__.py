"""The graph: build, sources, reference data, inference, write, publish, dump, backup, dataset."""
