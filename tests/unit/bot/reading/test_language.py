"""Language guesses on our own example messages: long texts, short texts, preference, fallback."""

from __future__ import annotations

import pytest

from bot.reading.language import LanguageDetector, LanguageGuess, clean_for_language
from tests.conftest import run_in_threads


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    # Building loads lingua's models (about a second): one per module, as in production.
    return LanguageDetector(("es", "en", "pt"), default="es")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Buenas, desde el martes la conexión va fatal y el router parpadea en naranja", "es"),
        ("¿Me podéis decir cuándo pasa el técnico? Llevo toda la mañana esperando", "es"),
        ("My bill doubled this month and nobody can tell me why", "en"),
        ("how do i set up the new modem? the lights are all blue", "en"),
        ("Minha internet está caindo toda hora desde sexta, já troquei o cabo", "pt"),
        ("vocês atendem no bairro da Lapa? queria assinar a fibra", "pt"),
        ("oigan, el módem no prende desde ayer, ya lo cambié de enchufe", "es"),
    ],
)
def test_detects_ordinary_sentences(detector: LanguageDetector, text: str, lang: str) -> None:
    guess = detector.detect(text)
    assert guess.lang == lang
    assert guess.method == "detector"
    assert 0.0 <= guess.confidence <= 1.0


def test_handles_urls_and_emoji_do_not_mislead(detector: LanguageDetector) -> None:
    text = "@Some_Brand_US @other_user mira esto https://example.test/a/b 😡😡 sigo sin línea #fail"
    assert detector.detect(text).lang == "es"
    assert "https" not in clean_for_language(text)
    assert "@" not in clean_for_language(text)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("oi", "pt"),
        ("hola?", "es"),
        ("@Brand_US hello?", "en"),
        ("alô", "pt"),
        ("ayuda", "es"),
        ("help!!", "en"),
    ],
)
def test_short_texts_use_cue_words(detector: LanguageDetector, text: str, lang: str) -> None:
    assert detector.detect(text) == LanguageGuess(lang, 0.8, "short-text")


@pytest.mark.parametrize("text", ["??", "🙄🙄", "", "   ", "https://x.example/y", "@brand"])
def test_textless_messages_fall_back_to_preference_then_default(
    detector: LanguageDetector, text: str
) -> None:
    assert detector.detect(text, preferred="pt") == LanguageGuess("pt", 0.5, "preference")
    assert detector.detect(text).method == "default"
    assert detector.detect(text).lang == "es"


def test_preference_wins_for_short_ambiguous_text(detector: LanguageDetector) -> None:
    # "ok" or a name says nothing about the language: the known preference decides.
    assert detector.detect("ok", preferred="en").lang == "en"
    assert detector.detect("Lucía Pérez", preferred="pt").method == "preference"


def test_long_clear_text_beats_preference(detector: LanguageDetector) -> None:
    # We answer in the language the customer writes in now, not in their profile's.
    guess = detector.detect(
        "Hello, I moved to a new flat and need to transfer my fibre contract", preferred="pt"
    )
    assert guess == LanguageGuess("en", guess.confidence, "detector")


def test_unknown_preference_is_ignored(detector: LanguageDetector) -> None:
    assert detector.detect("??", preferred="fr").lang == "es"
    assert detector.detect("??", preferred="EN").lang == "en"


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour, ma connexion internet ne fonctionne plus depuis hier soir",
        "Guten Tag, mein Internet funktioniert seit gestern nicht mehr",
        "こんにちは、インターネットがつながりません",
    ],
)
def test_unsupported_languages_map_to_a_configured_one(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text).lang in {"es", "en", "pt"}
    assert detector.detect(text, preferred="en").lang in {"es", "en", "pt"}


def test_restricted_configuration() -> None:
    only_two = LanguageDetector(("en", "pt"), default="en")
    assert only_two.detect("Hola, ¿cómo puedo cambiar la contraseña del wifi?").lang in {"en", "pt"}
    assert only_two.detect("??").lang == "en"
    single = LanguageDetector(("pt",), default="pt")
    assert single.detect("anything at all") == LanguageGuess("pt", 1.0, "default")


def test_bad_configuration_fails_fast() -> None:
    with pytest.raises(ValueError, match="default"):
        LanguageDetector(("es", "en"), default="pt")
    with pytest.raises(ValueError, match="unsupported"):
        LanguageDetector(("es", "xx"), default="es")
    with pytest.raises(ValueError, match="at least one"):
        LanguageDetector((), default="es")


def test_is_thread_safe(detector: LanguageDetector) -> None:
    texts = {
        "La factura de este mes viene con un cargo que no reconozco": "es",
        "The technician never showed up and nobody called me": "en",
        "Quero cancelar o pacote de filmes mas manter a internet": "pt",
    }
    errors: list[str] = []

    def worker() -> None:
        for _ in range(50):
            for text, lang in texts.items():
                if detector.detect(text).lang != lang:
                    errors.append(text)

    run_in_threads(worker)
    assert errors == []


def test_care_words_break_ties_on_short_portuguese_questions() -> None:
    detector = LanguageDetector()
    for text in ("como ativo o roaming?", "como reinicio o roteador da fibra? vlw"):
        assert detector.detect(text).lang == "pt", text
    assert detector.detect("¿cómo reinicio el router?").lang == "es"
