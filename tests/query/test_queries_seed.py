"""The example queries in queries/ answer the questions the seed documents make answerable.

The store is built from the project files only (ontology, concept schemes, source descriptions and the
curated seed graphs), each file in its named graph as docs/model.md specifies, in a fresh on-disk
pyoxigraph store. The expected rows are derived by hand from the seed texts (cited next to each row),
not copied from query output: they are the oracle for data and queries together.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
QUERIES = REPO_ROOT / "queries"

HN = "https://w3id.org/hilfenetz/ontology#"
ID = "https://w3id.org/hilfenetz/id/"
GRAPH = ID + "graph/"

AREA = ID + "area/"
ORG = ID + "org/"
PERSON = ID + "person/"
PROG = ID + "programme/"
EVENT = ID + "event/"
COOP = ID + "cooperation/"
FIG = ID + "figure/"
ROLE = ID + "concept/role/"
PREC = ID + "concept/figure-precision/"
SRC = ID + "source/"


def load_project(project_root: Path, store_path: Path) -> ox.Store:
    """Load ontology, schemes, sources and seed data into a new on-disk store, one named graph per file."""
    store = ox.Store(str(store_path))
    files: list[tuple[Path, str]] = []
    for p in sorted((project_root / "ontology").glob("*.ttl")):
        files.append((p, GRAPH + ("alignment" if p.name == "alignment.ttl" else "ontology")))
    files += [(p, GRAPH + "schemes") for p in sorted((project_root / "ontology" / "schemes").glob("*.ttl"))]
    files.append((project_root / "data" / "sources.ttl", GRAPH + "sources"))
    files += [(p, GRAPH + "source/" + p.stem) for p in sorted((project_root / "data" / "seeds").glob("*.ttl"))]
    for path, graph in files:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(graph))
    store.flush()
    return store


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    return load_project(REPO_ROOT, tmp_path_factory.mktemp("store") / "oxigraph")


def run(store: ox.Store, name: str) -> list[dict[str, str]]:
    """Run queries/{name} and return rows as {variable: lexical value or IRI}."""
    text = (QUERIES / name).read_text(encoding="utf-8")
    result = store.query(text)
    names = [v.value for v in result.variables]
    rows = []
    for sol in result:
        rows.append({n: sol[n].value for n in names if sol[n] is not None})
    return rows


def project(rows: list[dict[str, str]], *cols: str) -> list[tuple[str | None, ...]]:
    return sorted((tuple(r.get(c) for c in cols) for r in rows), key=lambda t: tuple(x or "" for x in t))


# ---------------------------------------------------------------- header comments


MY_QUERIES = [
    "programme-municipalities.rq",
    "event-actors.rq",
    "cooperation-partners.rq",
    "stated-figures.rq",
    "programmes-overview.rq",
    "people-and-posts.rq",
    "youth-welfare-and-health.rq",
    "evidence-for-resource.rq",
    "offers-by-life-phase.rq",
]


@pytest.mark.parametrize("name", MY_QUERIES)
def test_query_has_header(name: str) -> None:
    text = (QUERIES / name).read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    keys = {m.group(1) for line in header if (m := re.match(r"#\s*([\w@]+):\s*\S", line))}
    assert {"title", "title@de", "description"} <= keys, keys
    assert text.lstrip().startswith("#"), "the header block comes first"


# ---------------------------------------------------------------- programme-municipalities.rq


def test_programme_municipalities(seed_store: ox.Store) -> None:
    rows = run(seed_store, "programme-municipalities.rq")
    kpk = PROG + "kommunale-praeventionsketten-nrw"
    s2 = SRC + "praeventionsketten-recklinghausen"
    expected = sorted(
        [
            # "ist mit 18 Modellkommunen (u.a. Gladbeck) im Jahr 2012 als Modellprojekt gestartet"
            (kpk, AREA + "05562014", ROLE + "model-municipality", "2012", "programme", s2),
            # "Seit 2017 sind 22 weitere Kommunen hinzugekommen, darunter auch der Kreis Recklinghausen"
            (kpk, AREA + "05562", ROLE + "programme-municipality", "2017", "programme", s2),
            # "... darunter auch der Kreis Recklinghausen in Zusammenarbeit mit den Städten Gladbeck und
            # Castrop-Rauxel": the Kreis joined with the towns; "Kooperationspartner" the text reserves for
            # "die Vertreter aus allen am Thema beteiligten Einrichtungen und Berufsgruppen" (issue 21)
            (kpk, AREA + "05562", ROLE + "programme-municipality", "2017", "cooperation", s2),
            # "Projektpartner sind die Städte Castrop-Rauxel und Gladbeck"
            (kpk, AREA + "05562014", ROLE + "project-partner", "2017", "cooperation", s2),
            (kpk, AREA + "05562004", ROLE + "project-partner", "2017", "cooperation", s2),
        ]
    )
    assert project(rows, "programme", "municipality", "role", "since", "via", "source") == expected
    for r in rows:
        assert r["programmeLabel"] == "Kommunale Präventionsketten"
        assert r["sourceTitle"].startswith("Impuls-Forum 9")


def test_programme_municipalities_since_is_a_year(seed_store: ox.Store) -> None:
    text = (QUERIES / "programme-municipalities.rq").read_text(encoding="utf-8")
    for sol in seed_store.query(text):
        since = sol["since"]
        assert isinstance(since, ox.Literal)
        assert since.datatype == ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")


# ---------------------------------------------------------------- event-actors.rq


def test_event_actors(seed_store: ox.Store) -> None:
    rows = run(seed_store, "event-actors.rq")
    s0 = SRC + "vernetzung-jugendhilfe"
    s2 = SRC + "praeventionsketten-recklinghausen"
    s4 = SRC + "fachtag-fruehe-hilfen-2013"
    ev2021 = EVENT + "vernetzungstagungen-2021-06-15"
    forum = EVENT + "impuls-forum-9-kommunale-praeventionsketten-2017"
    fachtag = EVENT + "fachtag-fruehe-hilfen-koeln-2013"
    lks = ORG + "landeskoordinierungsstelle-fruehe-hilfen-nrw"
    nzfh = ORG + "nationales-zentrum-fruehe-hilfen"
    expected = sorted(
        [
            # "Organisatoren aus dem LZG.NRW sowie den Landesjugendämtern beim LWL und LVR"
            (ev2021, ROLE + "organiser", ORG + "lzg-nrw", s0),
            (ev2021, ROLE + "organiser", ORG + "landesjugendamt-rheinland", s0),
            (ev2021, ROLE + "organiser", ORG + "landesjugendamt-westfalen-lippe", s0),
            # "Beide Veranstaltungen begannen mit dem Impulsvortrag von Frau Prof.in Dr.in Wagenblass"
            (EVENT + "impulsvortrag-wagenblass-2021", ROLE + "speaker", PERSON + "wagenblass", s0),
            # "sowie Vertreterinnen und Vertreter aus dem Ministerium für Arbeit, ... der Psychotherapeutenkammer",
            # said of the two events of 15 June 2021, not of the series (issue 21)
            (ev2021, ROLE + "participant", ORG + "ministerium-arbeit-gesundheit-soziales-nrw", s0),
            (ev2021, ROLE + "participant", ORG + "ministerium-kinder-familie-fluechtlinge-integration-nrw", s0),
            (ev2021, ROLE + "participant", ORG + "bundeszentrale-gesundheitliche-aufklaerung", s0),
            (ev2021, ROLE + "participant", nzfh, s0),
            (ev2021, ROLE + "participant", ORG + "sozialpaediatrische-zentren-der-kinderkliniken", s0),
            (ev2021, ROLE + "participant", ORG + "psychotherapeutenkammer", s0),
            # "Moderation: Heleen Klostermann, ... und Detlef Möller"
            (forum, ROLE + "moderator", PERSON + "heleen-klostermann", s2),
            (forum, ROLE + "moderator", PERSON + "detlef-moeller", s2),
            # listed under the forum title without a function
            (forum, ROLE + "contributor", PERSON + "annette-schmidt", s2),
            # "auf Einladung der Landeskoordinierungsstelle Frühe Hilfen"
            (fachtag, ROLE + "organiser", lks, s4),
            # "in Zusammenarbeit mit den beiden Landesjugendämtern" (not named: a group node)
            (fachtag, ROLE + "co-organiser", ORG + "landesjugendaemter-fachtag-fruehe-hilfen-2013", s4),
            # "präsentierte die ... Landeskoordinierungsstelle ..." /
            # "gab zunächst das Nationale Zentrum ... einen Überblick"
            (fachtag, ROLE + "presenter", lks, s4),
            (fachtag, ROLE + "presenter", nzfh, s4),
            # "Nach den Begrüßungen durch Staatssekretär Bernd Neuendorf und Landesrat Reinhard Elzer"
            (fachtag, ROLE + "welcome-address", PERSON + "bernd-neuendorf", s4),
            (fachtag, ROLE + "welcome-address", PERSON + "reinhard-elzer", s4),
            (EVENT + "fachtag-fruehe-hilfen-2013-begruessungen", ROLE + "speaker", PERSON + "bernd-neuendorf", s4),
            (EVENT + "fachtag-fruehe-hilfen-2013-begruessungen", ROLE + "speaker", PERSON + "reinhard-elzer", s4),
            (EVENT + "fachtag-fruehe-hilfen-2013-ueberblick-nzfh", ROLE + "speaker", nzfh, s4),
            (EVENT + "fachtag-fruehe-hilfen-2013-praesentation-lks", ROLE + "speaker", lks, s4),
            # "Reihe von noch folgenden Informations- und Austauschveranstaltungen der Landeskoordinierungsstelle"
            (EVENT + "lks-fruehe-hilfen-veranstaltungsreihe", ROLE + "organiser", lks, s4),
        ]
    )
    assert project(rows, "event", "role", "actor", "source") == expected


def test_event_actors_dates_and_nesting(seed_store: ox.Store) -> None:
    rows = run(seed_store, "event-actors.rq")
    by_event = {r["event"]: r for r in rows}
    assert by_event[EVENT + "vernetzungstagungen-2021-06-15"]["date"] == "2021-06-15"  # "am 15. Juni 2021"
    assert by_event[EVENT + "fachtag-fruehe-hilfen-koeln-2013"]["date"] == "2013-07-15"  # "Am 15. Juli 2013"
    assert EVENT + "vernetzungstagungen" not in by_event  # the series has no actors of its own
    assert by_event[EVENT + "impuls-forum-9-kommunale-praeventionsketten-2017"]["partOf"] == (
        EVENT + "regionale-bildungskonferenz-2017"
    )
    assert by_event[EVENT + "fachtag-fruehe-hilfen-koeln-2013"]["partOf"] == (
        EVENT + "lks-fruehe-hilfen-veranstaltungsreihe"
    )
    assert by_event[EVENT + "impulsvortrag-wagenblass-2021"]["actorLabel"] == "Prof.in Dr.in Wagenblass"


# ---------------------------------------------------------------- cooperation-partners.rq


def test_cooperation_partners(seed_store: ox.Store) -> None:
    rows = run(seed_store, "cooperation-partners.rq")
    k1 = COOP + "vernetzungstagungen-2021-organisation"
    k2 = COOP + "kommunale-praeventionsketten-kreis-recklinghausen"
    k5 = COOP + "koordination-bundesinitiative-fruehe-hilfen-nrw"
    kpk = PROG + "kommunale-praeventionsketten-nrw"
    bi = PROG + "bundesinitiative-netzwerke-fruehe-hilfen-familienhebammen"
    expected = sorted(
        [
            # S0: LZG.NRW and both Landesjugendämter organised the events of 15 June 2021; the text dates
            # the events, not the cooperation (issue 21: no period)
            (k1, None, ORG + "lzg-nrw", ROLE + "organiser", None),
            (k1, None, ORG + "landesjugendamt-rheinland", ROLE + "organiser", None),
            (k1, None, ORG + "landesjugendamt-westfalen-lippe", ROLE + "organiser", None),
            # S2: Kreis Recklinghausen "in Zusammenarbeit mit den Städten Gladbeck und Castrop-Rauxel", since 2017;
            # "Projektpartner sind die Städte Castrop-Rauxel und Gladbeck"
            (k2, kpk, AREA + "05562", ROLE + "programme-municipality", "2017"),
            (k2, kpk, AREA + "05562014", ROLE + "project-partner", "2017"),
            (k2, kpk, AREA + "05562004", ROLE + "project-partner", "2017"),
            # S4: NZFH "als Bundeskoordinierungsstelle", the Landeskoordinierungsstelle NRW; no period stated
            (k5, bi, ORG + "nationales-zentrum-fruehe-hilfen", ROLE + "federal-coordination-office", None),
            (k5, bi, ORG + "landeskoordinierungsstelle-fruehe-hilfen-nrw", ROLE + "state-coordination-office", None),
        ]
    )
    assert project(rows, "cooperation", "programme", "partner", "role", "since") == sorted(
        expected, key=lambda t: tuple(x or "" for x in t)
    )
    forms = {r["cooperation"]: r.get("form") for r in rows}
    assert forms == {
        k1: ID + "concept/cooperation-form/joint-event",
        k2: ID + "concept/cooperation-form/project-partnership",
        k5: ID + "concept/cooperation-form/coordination",
    }


def test_every_cooperation_has_two_distinct_partners(seed_store: ox.Store) -> None:
    rows = run(seed_store, "cooperation-partners.rq")
    partners: dict[str, set[str]] = {}
    for r in rows:
        partners.setdefault(r["cooperation"], set()).add(r["partner"])
    assert partners and all(len(p) >= 2 for p in partners.values()), partners


# ---------------------------------------------------------------- stated-figures.rq


def test_stated_figures(seed_store: ox.Store) -> None:
    rows = run(seed_store, "stated-figures.rq")
    s0, s1, s2 = SRC + "vernetzung-jugendhilfe", SRC + "gesamtkonzepte-rlp", SRC + "praeventionsketten-recklinghausen"
    s3, s4 = SRC + "abgestimmte-hilfen", SRC + "fachtag-fruehe-hilfen-2013"
    exact, more, approx, upto = PREC + "exact", PREC + "more-than", PREC + "approximately", PREC + "up-to"
    expected = [
        # S0
        ("2", None, exact, EVENT + "vernetzungstagungen-2021-06-15", s0),  # "zwei digitale Vernetzungstagungen"
        # "die ersten beiden Veranstaltungen im September 2019"
        ("2", None, exact, EVENT + "vernetzungstagungen-2019-09", s0),
        ("200", None, more, EVENT + "vernetzungstagungen-2021-06-15", s0),  # "mehr als 200 Teilnehmerinnen …"
        ("33", None, exact, EVENT + "vernetzungstagungen-2021-06-15", s0),  # "(aus 33 Kommunen)"
        ("2", None, exact, EVENT + "vernetzungstagungen-2021-06-15", s0),  # "den zwei Praxisprojekten"
        ("4", None, exact, EVENT + "vernetzungstagungen", s0),  # "Nach bereits vier ... Vernetzungstagungen"
        # S1
        ("3", None, exact, PROG + "kommunale-gesamtkonzepte-rlp", s1),  # "drei Pilotkommunen"
        # S2
        ("18", None, exact, PROG + "kommunale-praeventionsketten-nrw", s2),  # "18 Modellkommunen"
        ("22", None, exact, PROG + "kommunale-praeventionsketten-nrw", s2),  # "22 weitere Kommunen"
        # "0- bis 10-Jährigen"
        ("0", "10", exact, ID + "project/kommunale-praeventionsketten-kreis-recklinghausen", s2),
        # S3
        ("3", None, upto, ID + "offer/fruehe-hilfen", s3),  # "bis zu einem Alter von drei Jahren"
        # S4
        ("160", None, approx, EVENT + "fachtag-fruehe-hilfen-koeln-2013", s4),  # "rund 160 Anmeldungen"
        ("2", None, exact, EVENT + "fachtag-fruehe-hilfen-koeln-2013", s4),  # "den beiden Landesjugendämtern"
        ("186", None, exact, AREA + "05", s4),  # "die 186 nordrhein-westfälischen Jugendämter"
    ]
    key = lambda t: tuple(x or "" for x in t)  # noqa: E731
    assert project(rows, "value", "maxValue", "precision", "about", "source") == sorted(expected, key=key)
    for r in rows:
        assert r.get("quote"), f"{r['figure']} has no evidence phrase for its value"
        assert r.get("unitText"), f"{r['figure']} does not say what is counted"
        assert r.get("precisionLabel"), f"{r['figure']}: precision concept missing from the schemes"
    more_than = [r for r in rows if r["precision"] == more]
    assert [r["quote"] for r in more_than] == [
        "mehr als 200 Teilnehmerinnen und Teilnehmer aus Jugend- und Gesundheitsämtern"
    ]


# ---------------------------------------------------------------- programmes-overview.rq


def test_programmes_overview(seed_store: ox.Store) -> None:
    rows = run(seed_store, "programmes-overview.rq")
    s0, s1, s2 = SRC + "vernetzung-jugendhilfe", SRC + "gesamtkonzepte-rlp", SRC + "praeventionsketten-recklinghausen"
    s4 = SRC + "fachtag-fruehe-hilfen-2013"
    proj = ID + "project/"
    expected = [
        # S0: "Mit "KIPS Prävention NRW ..." wurde in 2021 ein Landesprogramm auf den Weg gebracht"
        (PROG + "kips-praevention-nrw", HN + "StateProgramme", "2021", None, None, None, None, AREA + "05", s0),
        (PROG + "landesinitiative-gesundheitsfoerderung-praevention-nrw", HN + "StateInitiative",
         None, None, None, None, None, AREA + "05", s0),
        # "Netzwerk Kinder als Angehörige psychisch kranker Eltern in Dortmund (KAP-DO)";
        # "Lückenlos" aus dem Oberbergischen Kreis
        (proj + "kap-do", HN + "Project", None, None, None, None, None, AREA + "05913000", s0),
        (proj + "lueckenlos", HN + "Project", None, None, None, None, None, AREA + "05374", s0),
        # S1: "Das Modellprojekt begleitet drei Pilotkommunen in Rheinland-Pfalz"
        (PROG + "kommunale-gesamtkonzepte-rlp", HN + "ModelProject", None, None, None, None, None, AREA + "07", s1),
        # S2: Landesprogramm "(ehem. „Kein Kind zurücklassen!“) ... im Jahr 2012 als Modellprojekt gestartet"
        (PROG + "kommunale-praeventionsketten-nrw", HN + "StateProgramme",
         "2012", None, PROG + "kein-kind-zuruecklassen", None, None, AREA + "05", s2),
        (PROG + "kein-kind-zuruecklassen", HN + "Programme", None, None, None, None, None, None, s2),
        (proj + "kommunale-praeventionsketten-kreis-recklinghausen", HN + "Project",
         None, None, None, PROG + "kommunale-praeventionsketten-nrw", None, AREA + "05562", s2),
        # S4: Bundesinitiative "... 2012–2015"; "Modellvorhaben Kein Kind zurücklassen!"; "LVR-Programm"
        (PROG + "bundesinitiative-netzwerke-fruehe-hilfen-familienhebammen", HN + "FederalInitiative",
         "2012", "2015", None, None, None, None, s4),  # no area stated (issue 21)
        (PROG + "kein-kind-zuruecklassen", HN + "ModelProject", None, None, None, None, None, None, s4),
        (PROG + "lvr-netzwerke-gegen-kinderarmut", HN + "Programme", None, None, None, None, ORG + "lvr", None, s4),
    ]
    cols = ("item", "type", "start", "end", "predecessor", "within", "responsibleBody", "areaServed", "source")
    key = lambda t: tuple(x or "" for x in t)  # noqa: E731
    assert project(rows, *cols) == sorted(expected, key=key)


# ---------------------------------------------------------------- people-and-posts.rq


def test_people_and_posts(seed_store: ox.Store) -> None:
    rows = run(seed_store, "people-and-posts.rq")
    post = ID + "post/"
    forum = EVENT + "impuls-forum-9-kommunale-praeventionsketten-2017"
    fachtag = EVENT + "fachtag-fruehe-hilfen-koeln-2013"
    expected = [
        # "- Katharina Binz (Ministerin für Familie, Frauen, Kultur und Integration des Landes Rheinland-Pfalz)"
        (PERSON + "katharina-binz", "post", post + "ministerin-ffki-rlp", ORG + "ministerium-ffki-rlp"),
        # "Annette Schmidt, Planung und Koordination Fachbereich Gesundheit, Bildung und Erziehung,
        # Kreis Recklinghausen"
        (PERSON + "annette-schmidt", "post",
         post + "planung-koordination-fachbereich-gesundheit-bildung-erziehung-kreis-recklinghausen",
         ORG + "fachbereich-gesundheit-bildung-erziehung-kreis-recklinghausen"),
        (PERSON + "annette-schmidt", "role", ROLE + "contributor", forum),
        # "Moderation: Heleen Klostermann, „Kommunale Präventionsketten“ Kreis Recklinghausen"
        (PERSON + "heleen-klostermann", "role", ROLE + "moderator", forum),
        (PERSON + "heleen-klostermann", "role", ROLE + "affiliation",
         ID + "project/kommunale-praeventionsketten-kreis-recklinghausen"),
        # "und Detlef Möller, Jugendhilfeplaner Stadt Gladbeck"
        (PERSON + "detlef-moeller", "post", post + "jugendhilfeplaner-stadt-gladbeck", AREA + "05562014"),
        (PERSON + "detlef-moeller", "role", ROLE + "moderator", forum),
        # "Nach den Begrüßungen durch Staatssekretär Bernd Neuendorf und Landesrat Reinhard Elzer"
        # (no organisation named)
        (PERSON + "bernd-neuendorf", "post", post + "staatssekretaer-bernd-neuendorf", None),
        (PERSON + "bernd-neuendorf", "role", ROLE + "welcome-address", fachtag),
        (PERSON + "reinhard-elzer", "post", post + "landesrat-reinhard-elzer", None),
        (PERSON + "reinhard-elzer", "role", ROLE + "welcome-address", fachtag),
    ]
    key = lambda t: tuple(x or "" for x in t)  # noqa: E731
    assert project(rows, "person", "kind", "what", "where") == sorted(expected, key=key)
    titles = {r["what"]: r["whatLabel"] for r in rows if r["kind"] == "post"}
    assert titles[post + "staatssekretaer-bernd-neuendorf"] == "Staatssekretär"
    assert titles[post + "landesrat-reinhard-elzer"] == "Landesrat"


# ---------------------------------------------------------------- youth-welfare-and-health.rq


def test_youth_welfare_and_health(seed_store: ox.Store) -> None:
    rows = run(seed_store, "youth-welfare-and-health.rq")
    sector = ID + "concept/sector/"
    expected = [
        # S0: participants "aus Jugend- und Gesundheitsämtern"; "Netzwerktagung für Jugendämter und Gesundheitsämter"
        (EVENT + "vernetzungstagungen-2021-06-15", sector + "youth-welfare", sector + "public-health-service"),
        (EVENT + "netzwerktagung-jugendaemter-gesundheitsaemter-2019", sector + "youth-welfare",
         sector + "public-health-service"),
        # S1: "Gesundheitshilfe, Jugendhilfe und alle, die vor Ort für diese Kinder da sind"
        (PROG + "kommunale-gesamtkonzepte-rlp", sector + "youth-welfare", sector + "health-care"),
        # S2: "Verknüpfung aus den Bereichen der Gesundheitsförderung, ... der Kinder-, Jugend- und Sozialhilfe"
        (PROG + "kommunale-praeventionsketten-nrw", sector + "youth-welfare", sector + "health-promotion"),
        # S2: "die Angebote der Kinder-, Jugend- und Gesundheitshilfe vor Ort zu bündeln"
        (ID + "project/kommunale-praeventionsketten-kreis-recklinghausen", sector + "youth-welfare",
         sector + "health-care"),
    ]
    assert project(rows, "item", "youthSector", "healthSector") == sorted(expected)


# ---------------------------------------------------------------- evidence-for-resource.rq


def test_evidence_for_resource(seed_store: ox.Store) -> None:
    # unbound, the file lists the evidence of every resource; the header default is this programme
    everything = run(seed_store, "evidence-for-resource.rq")
    rows = [r for r in everything if r["resource"] == PROG + "kommunale-praeventionsketten-nrw"]
    assert len({r["resource"] for r in everything}) > 1
    assert {r["source"] for r in rows} == {SRC + "praeventionsketten-recklinghausen"}
    assert {r["fileName"] for r in rows} == {"002_a258ed64aa908998.txt"}
    props = sorted(r["property"] for r in rows)
    rdfs_label = "http://www.w3.org/2000/01/rdf-schema#label"
    assert props == sorted(
        [rdfs_label, HN + "startDate", HN + "predecessor", HN + "goal", HN + "sector", HN + "sector", HN + "sector"]
    )
    start = [r["quote"] for r in rows if r["property"] == HN + "startDate"]
    assert start == ["im Jahr 2012 als Modellprojekt gestartet"]


# ---------------------------------------------------------------- offers-by-life-phase.rq


def test_offers_by_life_phase(seed_store: ox.Store) -> None:
    rows = run(seed_store, "offers-by-life-phase.rq")
    lp = ID + "concept/life-phase/"
    # S3: "Unterstützung für Eltern ab dem Zeitpunkt der Schwangerschaft und Familien mit Kindern
    # bis zu ... drei Jahren"
    assert [(r["order"], r["lifePhase"], r["offer"], r.get("maxAge")) for r in rows] == [
        ("1", lp + "pregnancy", ID + "offer/fruehe-hilfen", "3"),
        ("2", lp + "infancy", ID + "offer/fruehe-hilfen", "3"),
    ]


# ---------------------------------------------------------------- end to end through the `kg` command


def test_kg_query_answers_programme_municipalities(run_kg, tmp_path: Path) -> None:
    """"Which municipalities take part in which programme, since when, according to which source?"
    answered by `kg query programme-municipalities` on a store built by `kg build`."""
    import json

    store_dir = tmp_path / "store"
    built = run_kg("build", "--no-reference", "--quiet", "--store", str(store_dir), "--project", str(REPO_ROOT))
    assert built.returncode == 0, built.stderr
    res = run_kg("query", "--store", str(store_dir), "--project", str(REPO_ROOT), "--format", "json",
                 "programme-municipalities")
    assert res.returncode == 0, res.stderr
    bindings = json.loads(res.stdout)["results"]["bindings"]
    got = sorted((b["municipality"]["value"], b["role"]["value"], b["since"]["value"], b["source"]["value"])
                 for b in bindings)
    s2 = SRC + "praeventionsketten-recklinghausen"
    assert (AREA + "05562014", ROLE + "model-municipality", "2012", s2) in got  # Gladbeck, Modellkommune 2012
    assert (AREA + "05562", ROLE + "programme-municipality", "2017", s2) in got  # Kreis Recklinghausen seit 2017
    assert (AREA + "05562004", ROLE + "project-partner", "2017", s2) in got  # Castrop-Rauxel, Projektpartner
    assert len(got) == 5
    assert {b["programme"]["value"] for b in bindings} == {PROG + "kommunale-praeventionsketten-nrw"}
