"""Topic keys: which volume counters one message feeds.

The spike detector counts messages per *key*, not per message, so that "no internet in Madrid" can
spike while total traffic looks normal. A key is a keyword topic (`topic:no-internet`), a region
(`region:madrid`), their combination (`topic:no-internet|region:madrid`), a hashtag
(`hashtag:#ondanetmayo50`) or the KB topic retrieval found (`kb:outage-check`).

Matching is deliberately lexical (normalised cue phrases and a small gazetteer): it is pure CPU,
costs microseconds, is the same in every replay, and a support lead can read and extend the lists.
Everything is accent- and case-insensitive: cues and text go through the same `normalize`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from bot.reading.normalise import strip_accents

REGEX_PREFIX = "re:"
"""A cue starting with this is a regular expression over the *normalised* text, not a phrase."""

DEFAULT_TOPICS: dict[str, list[str]] = {
    "no-internet": [
        # es
        "sin internet", "sin fibra", "sin conexion", "sin servicio", "sin wifi",
        "no tengo internet", "no tenemos internet", "no hay internet", "no tengo conexion",
        "no funciona internet", "no funciona el internet", "internet no funciona", "no me va internet",
        "no me va el internet", "no me va la fibra", "la fibra no va", "no va la fibra",
        "caida", "caido", "caida de fibra", "caida de internet", "internet caido", "internet fuera",
        "internet muerto", "se ha caido", "se cae internet", "se va la fibra", "se ha ido internet",
        "se acaba de ir internet", "se ha cortado la fibra", "sin funcionar", "desconectado", "no sincroniza",
        "perder la conexion", "perdido la conexion", "no hay manera de conectarse", "avería general",
        "luz los", "los en rojo", "los rojo", "luz roja", "router en rojo", "parpadea en rojo",
        "#sininternet",
        # "no/ni/tampoco ... internet" within three words: "no le va el internet", "ni fibra ni nada"
        r"re:\b(?:no|ni|tampoco) (?:[a-z]+ ){0,3}(?:internet|fibra|conexion)\b",
        r"re:\bse (?:me |nos |le |les )?(?:ha |han |haya )?(?:ido|cortado|caido|cae) "
        r"(?:el |la )?(?:internet|fibra|conexion)\b",
        # en
        "no internet", "lost internet", "lost my connection", "lost connection", "lost my internet",
        "internet down", "internet is down", "fiber down", "fibre down", "fiber went down", "is down",
        "went down", "totally down", "outage", "no wifi", "internet died", "mine just died",
        "los light", "red light on the router",
        # pt
        "sem internet", "sem fibra", "sem conexao", "caiu", "internet caiu", "fora do ar",
        "queda de internet", "nao funciona a internet", "internet nao funciona",
    ],
    "mobile-signal": [
        "sin senal", "sin cobertura", "no tengo cobertura", "no hay cobertura", "sin datos moviles",
        "no signal", "no cell signal", "no bars", "no mobile data", "no service on my phone",
        "sem sinal", "sem cobertura", "sem sinal de celular",
    ],
    "billing": [
        "factura", "facturas", "cobrado", "cobro", "cargo", "cobrando", "cobrasteis", "cobrais",
        "reembolso", "recibo",
        "bill", "billed", "billing", "charge", "charged", "overcharged", "refund", "invoice",
        "fatura", "cobrado", "cobraram", "cobranca", "cobrando", "reembolso",
    ],
    "tv": [
        "tele", "television", "tv", "decodificador", "deco", "canales", "ondanet tv", "tv box",
        "decoder", "channels", "canais", "decodificador nao liga",
    ],
    "promo": [
        "promo", "promocion", "promocao", "descuento", "desconto", "50%", "50% off", "mayo50",
        "anuncio", "campana", "propaganda", "new ad", "commercial", "half price", "mitad de precio",
        "#ondanetmayo50",
    ],
}  # fmt: skip

DEFAULT_REGIONS: dict[str, list[str]] = {
    "madrid": [
        "madrid",
        # districts and well-known barrios (names that are not also common words)
        "arganzuela", "chamartin", "tetuan", "chamberi", "fuencarral", "moncloa", "aravaca",
        "carabanchel", "usera", "vallecas", "puente de vallecas", "moratalaz", "ciudad lineal",
        "hortaleza", "villaverde", "vicalvaro", "san blas", "barajas", "lavapies", "malasana",
        "chueca", "embajadores", "prosperidad", "rios rosas", "almendrales", "arguelles",
        "cuatro caminos", "vallehermoso", "pueblo nuevo", "butarque", "batan", "tres olivos",
        "opanel", "palomeras", "legazpi", "canillejas", "ciudad universitaria", "barrio del pilar",
        "aluche", "valdezarza", "pinar de chamartin", "azca", "castellana", "bravo murillo",
        "barrio de salamanca", "barrio salamanca", "puerta del sol", "la latina", "quintana",
        "las ventas", "moratalaz", "almagro", "calle alcala", "calle preciados",
    ],
    "barcelona": [
        "barcelona", "bcn", "eixample", "ciutat vella", "sants", "les corts", "sarria",
        "sant gervasi", "horta guinardo", "nou barris", "sant andreu", "sant marti", "poblenou",
        "raval", "barceloneta", "vila de gracia", "hospitalet", "badalona",
    ],
    "valencia": ["valencia", "ruzafa", "benimaclet"],
    "sevilla": ["sevilla", "triana"],
    "cdmx": [
        "cdmx", "ciudad de mexico", "mexico df", "tlalpan", "coyoacan", "iztapalapa", "cuauhtemoc",
        "azcapotzalco", "xochimilco", "tlahuac", "polanco", "la condesa", "roma norte",
        "naucalpan", "ecatepec", "nezahualcoyotl", "tlalnepantla",
    ],
    "guadalajara": ["guadalajara", "zapopan", "tlaquepaque", "tonala"],
    "monterrey": ["monterrey", "san pedro garza garcia", "apodaca", "escobedo"],
    "sao-paulo": ["sao paulo", "sampa", "guarulhos", "osasco"],
    "rio-de-janeiro": ["rio de janeiro", "niteroi", "copacabana", "barra da tijuca"],
    "new-york": ["new york", "nyc", "brooklyn", "queens", "manhattan", "bronx"],
    "los-angeles": ["los angeles"],
    "chicago": ["chicago"],
    "houston": ["houston"],
    "dallas": ["dallas"],
    "austin": ["austin"],
    "san-antonio": ["san antonio"],
    "miami": ["miami"],
    "phoenix": ["phoenix"],
    "atlanta": ["atlanta"],
    "denver": ["denver"],
    "orlando": ["orlando"],
}  # fmt: skip

DEFAULT_POSTCODES: dict[str, list[str]] = {
    # Spanish postcodes are five digits, the first two the province.
    "madrid": [r"\b28\d{3}\b"],
    "barcelona": [r"\b08\d{3}\b"],
    "valencia": [r"\b46\d{3}\b"],
    "sevilla": [r"\b41\d{3}\b"],
    # Brazilian CEPs are usually written 01310-100 (normalised to "01310 100").
    "sao-paulo": [r"\b0[1-5]\d{3} ?\d{3}\b"],
    "rio-de-janeiro": [r"\b2[0-3]\d{3} ?\d{3}\b"],
}


@dataclass(frozen=True)
class _Matcher:
    topics: tuple[tuple[str, re.Pattern[str]], ...]
    regions: tuple[tuple[str, re.Pattern[str]], ...]
    # Every region's cues in one pattern: it matches exactly when some region's does, and most
    # messages name no place, so one search usually stands for all of them (traffic.jsonl:
    # 117 of 3,083 name one; the regions' searches fell from about 150 to 50-90 us a message).
    # None when a cue's regex could not share a pattern (a group name or a back-reference).
    any_region: re.Pattern[str] | None = None


class TopicConfig(BaseModel):
    """Cue lists; shipped defaults describe an ISP (fibre, mobile, TV, a May campaign).

    Phrases match on word boundaries after `normalize`; a cue starting with `re:` is a regular
    expression over the normalised text. Region names double as the region part of the keys.
    """

    model_config = ConfigDict(frozen=True)

    topics: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_TOPICS))
    regions: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_REGIONS))
    postcodes: dict[str, list[str]] = Field(
        default_factory=lambda: dict(DEFAULT_POSTCODES),
        description="region -> regexes over the normalised text",
    )
    hashtags: bool = Field(default=True, description="emit a hashtag:#x key per hashtag")
    ignore_hashtags: list[str] = Field(
        default_factory=list, description="hashtags (with #) that never become keys, e.g. the brand's own"
    )
    max_hashtags: int = Field(
        default=5, ge=0, description="hashtag-stuffed spam must not create dozens of keys"
    )
    region_keys: bool = Field(default=True, description="also emit bare region:x keys")

    _matcher: _Matcher = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        # Compiled once per config: a bad regex cue fails at start-up, not on the first message.
        self._matcher = _compile(self)


_STRIP = re.compile(r"[^a-z0-9#%]+")
_HASHTAG = re.compile(r"#[a-z0-9_]+")


def normalize(text: str) -> str:
    """Lowercase, drop accents, keep only [a-z0-9#%] words separated by single spaces.

    Accents are dropped rather than folded per language because customers type "caida",
    "caída" and "CAÍDA" interchangeably, and `ñ` becomes `n` ("senal") consistently on both sides.
    """
    return _STRIP.sub(" ", strip_accents(text.lower())).strip()


def _hashtags(text: str) -> list[str]:
    return _HASHTAG.findall(strip_accents(text.lower()))


def _alternation(cues: list[str]) -> re.Pattern[str] | None:
    """One compiled regex per topic: a single scan instead of one `in` test per cue."""
    parts: list[str] = []
    for cue in cues:
        if cue.startswith(REGEX_PREFIX):
            parts.append(f"(?:{cue[len(REGEX_PREFIX) :]})")
            continue
        phrase = normalize(cue)
        if phrase:
            parts.append(re.escape(phrase))
    if not parts:
        return None
    # Longest first so that alternation order never hides a longer phrase (only matters for speed).
    parts.sort(key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9#%])(?:" + "|".join(parts) + r")(?![a-z0-9%])")


def _compile(config: TopicConfig) -> _Matcher:
    topics = tuple((name, pat) for name, cues in config.topics.items() if (pat := _alternation(cues)))
    regions: list[tuple[str, re.Pattern[str]]] = []
    all_cues: list[str] = []
    for name in dict.fromkeys([*config.regions, *config.postcodes]):
        cues = list(config.regions.get(name, []))
        cues += [REGEX_PREFIX + p for p in config.postcodes.get(name, [])]
        all_cues += cues
        pat = _alternation(cues)
        if pat is not None:
            regions.append((name, pat))
    return _Matcher(topics=topics, regions=tuple(regions), any_region=_union(all_cues))


_OWN_GROUPS = re.compile(r"\\[1-9]|\(\?P[<=]")


def _union(cues: list[str]) -> re.Pattern[str] | None:
    """One pattern for all `cues`, unless a regex cue's groups would mean something else in it."""
    if any(cue.startswith(REGEX_PREFIX) and _OWN_GROUPS.search(cue) for cue in cues):
        return None
    try:
        return _alternation(cues)
    except re.error:
        return None


@lru_cache(maxsize=1)
def default_topic_config() -> TopicConfig:
    """The shipped defaults, built once (the config is frozen, so sharing it is safe)."""
    return TopicConfig()


def _slug(value: str) -> str:
    return "-".join(normalize(value).split())


def topic_keys(text: str, *, kb_topic: str | None = None, config: TopicConfig | None = None) -> list[str]:
    """Every counter key this message feeds, most general first, without duplicates.

    Combined `topic|region` keys exist because an outage is local: "no internet" across the
    whole country is noise at the time a Madrid node fails, while "no internet in Madrid" jumps.
    """
    cfg = config or default_topic_config()
    matcher = cfg._matcher
    norm = normalize(text)
    topics = [name for name, pat in matcher.topics if pat.search(norm)]
    regions = (
        [name for name, pat in matcher.regions if pat.search(norm)]
        if matcher.any_region is None or matcher.any_region.search(norm)
        else []
    )
    keys = [f"topic:{t}" for t in topics]
    if cfg.region_keys:
        keys += [f"region:{r}" for r in regions]
    keys += [f"topic:{t}|region:{r}" for t in topics for r in regions]
    if cfg.hashtags:
        ignored = {h.lower() for h in cfg.ignore_hashtags}
        tags = [t for t in dict.fromkeys(_hashtags(text)) if t not in ignored]
        keys += [f"hashtag:{t}" for t in tags[: cfg.max_hashtags]]
    if kb_topic:
        keys.append(f"kb:{_slug(kb_topic)}")
    return list(dict.fromkeys(keys))
