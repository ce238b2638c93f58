"""hilfenetz: the open knowledge graph of actors, programmes, offers, cooperation and funding
around children of mentally ill or addicted parents in Germany."""

__version__ = "0.1.0"
