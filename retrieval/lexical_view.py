"""A third, word-level view of which article a message is about, for split retrieval votes.

Both topic views of the KB step (the retrieval vote and the topic classifier) read the same
embedding, so they fail together on close topics: "new SIM, can I walk into a store?" sits
near the eSIM article in that space whatever the words say. The words are an independent
witness: the article (in the customer's language) that shares the most rare words with the
message. It is only asked when the retrieval vote is split (`AnswerPolicy.split_vote`): on
train + dev (5-fold) it disagrees with a third of the right answers overall, far too often to
veto on its own, but among answers whose vote is split it flagged 3 of the 7 wrong ones for
3 right ones.

Words are lower-cased, accents dropped, at least 4 letters, cut to their first 5 (a crude stem
that joins "decodificador" / "deco..." and "cancelar" / "cancelación" across es/pt/en); each
shared stem weighs log(N / articles that contain it), so words every article uses count zero.

A topic with no article in the customer's language can still be named by the words (eleventh
round, `names` only): by the KB's hand-written example phrasings of the topic
(`retrieval/data/answerable_examples.yaml`, every language pooled, as the file does not tag
them), against the articles that language has. Without them an English or Portuguese question on
a topic with only a Spanish article left the words with nothing to say, so a split between the
two embedding views could not be resolved (5-fold: 3 right answers more, no wrong one). The
phrasings never veto (`other_topic` compares articles only): a handful of lines is too thin to
outweigh a whole article (as documents competing everywhere, vetoes included, they held back four
right answers and stopped no wrong one).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from retrieval.articles import Article

MIN_LETTERS = 4
STEM = 5
_WORD = re.compile(r"[a-z0-9]+")


def stems(text: str) -> frozenset[str]:
    """The distinct word stems of a text, as this view compares them."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return frozenset(w[:STEM] for w in _WORD.findall(folded) if len(w) >= MIN_LETTERS)


class LexicalView:
    """Rare-word overlap between a message and each article of one KB snapshot.

    With `phrasings` (topic -> example questions), a topic without an article in a language can
    still be named there by its phrasings (`names`); every other comparison is between articles.
    """

    def __init__(
        self, articles: Iterable[Article], phrasings: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self._stems: dict[str, frozenset[str]] = {}
        self._lang: dict[str, str] = {}
        self._topic: dict[str, str] = {}
        for article in articles:
            text = " ".join([article.title, article.url, *article.tags, *article.questions, article.body])
            self._stems[article.id] = stems(text)
            self._lang[article.id] = article.lang
            self._topic[article.id] = article.topic
        counts = Counter(stem for found in self._stems.values() for stem in found)
        total = len(self._stems)
        self._weight = {stem: math.log(total / n) for stem, n in counts.items()}
        # A stem only the phrasings use is as rare as one a single article uses.
        self._unseen = math.log(total) if total else 0.0
        self._phrased = self._phrasings_of(phrasings or {})

    def _phrasings_of(self, phrasings: Mapping[str, Sequence[str]]) -> dict[tuple[str, str], frozenset[str]]:
        """The phrasings' stems for each (KB topic, KB language) without an article.

        Only topics of this KB: another company's KB ignores the shipped phrasings, as the
        topic classifier does (`retrieval.kb_classifier`).
        """
        have = {(self._topic[a], self._lang[a]) for a in self._stems}
        found = {topic: stems(" ".join(phrasings.get(topic, ()))) for topic in set(self._topic.values())}
        return {
            (topic, lang): words
            for topic, words in found.items()
            for lang in set(self._lang.values())
            if words and (topic, lang) not in have
        }

    def other_topic(self, text: str, lang: str, topic: str) -> str | None:
        """The article in `lang` sharing more rare words with `text` than `topic`'s, if any.

        None when `topic` has no article in `lang`: a message compared with articles in another
        language shares few words with any of them, and a topic's phrasings are a handful of
        lines, too thin to outweigh an article and veto (eleventh round, 5-fold: read here, for
        the chosen topic or a rival, they held back four right answers and no wrong one).
        """
        found = self._scores(text, lang, topic)
        if found is None:
            return None
        scores, mine = found
        best = max(scores, key=lambda a: scores[a])
        return best if scores[best] > scores[mine] and self._topic[best] != topic else None

    def names(self, text: str, lang: str, topic: str) -> bool:
        """Whether `topic`'s article in `lang` (else its phrasings) shares more rare words with
        `text` than any other topic's article in `lang` does (False without either, or without
        a shared word)."""
        found = self._scores(text, lang, topic)
        if found is not None:
            scores, mine = found
            rivals = [score for a, score in scores.items() if self._topic[a] != topic]
            return scores[mine] > max(rivals, default=0.0)
        phrased = self._phrased.get((topic, lang))
        if phrased is None:
            return False
        words = stems(text)
        rivals = [self._shared(words, found) for a, found in self._stems.items() if self._lang[a] == lang]
        return self._shared(words, phrased) > max(rivals, default=0.0)

    def _shared(self, words: frozenset[str], found: frozenset[str]) -> float:
        # fsum: a set's order follows the string hash, which differs from run to run; a plain
        # sum of the same weights could then differ in its last bit between two articles that
        # share the same words, and a tie would flip with PYTHONHASHSEED (ninth round: one 5-fold
        # dev answer came and went between identical runs).
        return math.fsum(self._weight.get(w, self._unseen) for w in words & found)

    def _scores(self, text: str, lang: str, topic: str) -> tuple[dict[str, float], str] | None:
        """Each `lang` article's shared rare-word weight, and `topic`'s article (None: it has none)."""
        mine = [a for a, t in self._topic.items() if t == topic and self._lang[a] == lang]
        if not mine:
            return None
        words = stems(text)
        scores = {a: self._shared(words, found) for a, found in self._stems.items() if self._lang[a] == lang}
        return scores, mine[0]
