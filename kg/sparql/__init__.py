"""SPARQL as text: tokens and prologue, and the query files of queries/ with typed parameters.

Below the store: pure text handling, used by the build (query files are checked), the write path
(updates) and the server."""
