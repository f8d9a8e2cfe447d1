"""Topic keys: cue phrases, gazetteer, hashtags, KB topic; all accent- and case-insensitive."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.cli.traffic import read_messages
from bot.reading.topics import TopicConfig, normalize, topic_keys
from tests.paths import SAMPLE_TRAFFIC

MADRID_OUTAGE = ["topic:no-internet", "region:madrid", "topic:no-internet|region:madrid"]


def test_normalize_drops_accents_case_and_punctuation() -> None:
    assert normalize("¡SIN INTERNET en Chamberí, señal ROJA!") == "sin internet en chamberi senal roja"
    assert normalize("50% off #OndanetMayo50") == "50% off #ondanetmayo50"


@pytest.mark.parametrize(
    "text",
    [
        "SIN INTERNET EN MADRID",
        "sin fibra en Chamberí desde hace un rato",
        "se nos ha ido la fibra en el 28015",
        "no internet in Madrid since 10am",
        "Madrid: luz LOS en rojo y nada",
        "Madrid, Tetuán: no me va el internet",
    ],
)
def test_outage_cues_in_madrid(text: str) -> None:
    assert topic_keys(text)[:3] == MADRID_OUTAGE


def test_languages_and_regions() -> None:
    assert "topic:no-internet|region:sao-paulo" in topic_keys("estou sem internet em São Paulo, caiu tudo")
    assert "topic:no-internet|region:barcelona" in topic_keys("internet down in BCN 08014 again")
    assert "topic:mobile-signal|region:guadalajara" in topic_keys("no tengo cobertura en Zapopan")
    assert "topic:billing" in topic_keys("I was overcharged on my last bill")
    assert "topic:tv" in topic_keys("el decodificador no enciende")
    assert "region:cdmx" in topic_keys("sin servicio en Coyoacán, CDMX")


def test_no_false_matches_on_common_words() -> None:
    # "gracia" is a Barcelona barrio and "mad" an English word: neither may become a region.
    assert topic_keys("me ha hecho muchísima gracia, I am mad about this ad") == []
    assert topic_keys("Qué bien va la fibra de Ondanet hoy, ni un corte") == []
    assert topic_keys("¿cómo cambio la clave del wifi?") == []


def test_hashtags_are_lowercased_keys_without_accents() -> None:
    keys = topic_keys("#OndanetCaída en Madrid? #SinInternet")
    assert "hashtag:#ondanetcaida" in keys
    assert "hashtag:#sininternet" in keys
    assert "topic:no-internet|region:madrid" in keys


def test_hashtag_limits_and_ignore_list() -> None:
    config = TopicConfig(ignore_hashtags=["#ondanet"], max_hashtags=2)
    keys = topic_keys("gana dinero #Ondanet #a #b #c", config=config)
    assert [k for k in keys if k.startswith("hashtag:")] == ["hashtag:#a", "hashtag:#b"]


def test_kb_topic_key() -> None:
    assert topic_keys("hola", kb_topic="outage-check") == ["kb:outage-check"]
    assert topic_keys("hola", kb_topic="Outage Check") == ["kb:outage-check"]


def test_keys_have_no_duplicates() -> None:
    keys = topic_keys("sin internet, sin fibra, caída total en Madrid 28015 #SinInternet #sininternet")
    assert len(keys) == len(set(keys))


def test_custom_config_with_regex_cue() -> None:
    config = TopicConfig(
        topics={"weather": ["tormenta", r"re:\bstorm\w*"]},
        regions={"lisboa": ["lisboa", "lisbon"]},
        postcodes={"lisboa": [r"\b1\d{3} \d{3}\b"]},
        region_keys=False,
    )
    assert topic_keys("Storms near 1100-148", config=config) == [
        "topic:weather",
        "topic:weather|region:lisboa",
    ]


def test_bad_regex_fails_at_construction() -> None:
    with pytest.raises(re.error):
        TopicConfig(topics={"broken": ["re:(unclosed"]})


def test_the_one_pattern_for_all_regions_finds_the_regions_one_by_one() -> None:
    config = TopicConfig()
    alone = config.model_copy()
    object.__setattr__(alone, "_matcher", replace(config._matcher, any_region=None))
    texts = [item.message.text for item in read_messages(SAMPLE_TRAFFIC)[0]]
    texts += ["sin internet en madrid 28001", "CEP 01310-100 sem sinal", "queens and the bronx", "Zapopan"]

    assert config._matcher.any_region is not None
    assert [topic_keys(t, config=config) for t in texts] == [topic_keys(t, config=alone) for t in texts]
    assert any("region:" in key for t in texts for key in topic_keys(t, config=config))


def test_region_cues_with_their_own_groups_are_searched_one_by_one() -> None:
    config = TopicConfig(regions={"a": ["re:(?P<w>foo)bar"], "b": ["re:(?P<w>baz)"], "c": [r"re:(x)\1"]})

    assert config._matcher.any_region is None
    assert topic_keys("foobar baz xx", config=config) == ["region:a", "region:b", "region:c"]
