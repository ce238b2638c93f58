"""German and English texts: one way to write them (`Msg`) and one way to pick the language.

Why here, at the base: the SHACL reports (kg.shacl.report, printed by the CLI and answered by
the write endpoints) and the HTML pages (kg.web.render.pages) both speak German and English, and
kg.shacl may not import kg.web. Lowest layer: imports nothing from kg.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The languages every user-facing text exists in; German first (the data's language).
LANGS: tuple[str, ...] = ("de", "en")


@dataclass(frozen=True)
class Msg:
    """One text in German and English. `both` is the bilingual form where it is not `de / en`
    (e.g. a lower-case English half: "Entität / entity")."""

    de: str
    en: str
    both: str | None = None

    def text(self, lang: str) -> str:
        """The text in `lang`: "de", "en", or "both" (the two together); any other language gets
        English, the language of the pages' fallback."""
        if lang == "de":
            return self.de
        if lang == "both":
            return self.both if self.both is not None else f"{self.de} / {self.en}"
        return self.en
