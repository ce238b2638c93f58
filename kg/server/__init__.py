"""The SPARQL service: query protocol, graph store protocol, service description.

`create_app(settings)` in kg.server.app builds the FastAPI application; `kg serve` (kg.server.cli)
builds the store if needed and runs it with uvicorn. Queries run in worker processes
(kg.server.workers) so a runaway query can be killed at its deadline.
"""
