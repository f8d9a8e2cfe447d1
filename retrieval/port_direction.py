"""Which way a customer's number is moving: to us (joining) or away from us (leaving).

Why: LABELS.md's KB has one article for each direction. `kb-porting` brings a number *to*
Ondanet ("no des de baja tu línea antigua, nosotros lo gestionamos"); a customer *leaving* who
wants to keep the number is answered by `kb-contract-cancel` ("¿te vas a otro operador? no pidas
la baja: el nuevo operador la tramita"). Both texts share the same words (number, cancel first,
operator), so the embedding cannot tell them apart, and the wrong one is a public reply that
tells a leaver to wait for us, or a newcomer how to cancel. Three separate writers label the
leaver's question `kb-contract-cancel` (train.jsonl's t0480, probe set 6's p6050, and the agent
that wrote `told.yaml`). When the
chosen topic's direction contradicts the message's, the KB step sends it to a person with both
articles attached (`AnswerGate.withholds`, `AnswerPolicy.direction`).

The words are written from the two articles and LABELS.md in es / en / pt, on folded text
(`answerability.fold`); a message that names both directions, or neither, is not judged.
"""

from __future__ import annotations

import re

from retrieval.answerability import fold

JOINING = "joining"
LEAVING = "leaving"

_OTHER = r"(?:otra|otro|nueva|nuevo) (?:compania|operador\w*|empresa)"
_LEAVING = re.compile(
    "|".join(
        [
            # es: me voy / me cambio a otra compañía, dejar Ondanet, el nuevo operador.
            r"\b(?:me (?:voy|cambio|paso)|irme|cambiarme|pasarme|portarme) a (?:una |un )?" + _OTHER,
            r"\b(?:me voy|irme|salir) de ondanet\b",
            r"\bdej\w* (?:de estar con )?ondanet\b",
            r"\b(?:la|el|mi) " + _OTHER + r"\b",
            # en: switching carriers, to another provider, leaving Ondanet, the new carrier.
            r"\bswitch\w* (?:carriers|providers|operators)\b",
            r"\b(?:switch\w*|mov\w*|go\w*|port\w*) (?:over )?to"
            r" (?:another|a new|a different|some other) (?:carrier|provider|company|operator|network)\b",
            r"\bleav\w* ondanet\b",
            r"\b(?:my|the) new (?:carrier|provider|company|operator|network)\b",
            r"\bcancel ondanet\b",
            # pt: vou para outra operadora, sair da Ondanet, a nova operadora.
            r"\b(?:vou|mudar|mudo|trocar|troco|passar|passo|ir) (?:para|pra) (?:outra|uma nova|outro|um novo)"
            r" (?:operadora|empresa|operador)\b",
            r"\bsair da ondanet\b",
            r"\b(?:a|minha) nova operadora\b",
        ]
    )
)
_JOINING = re.compile(
    "|".join(
        [
            r"\b(?:me paso|pasarme|me cambio|cambiarme|me vengo|venirme|portarme)"
            r" (?:a|con) (?:ondanet|vosotros|ustedes)\b",
            r"\btraer(?:me)? (?:mi |el )?(?:numero|linea)\b",
            r"\b(?:switch\w*|mov\w*|com\w*|port\w*) (?:over )?to (?:ondanet|you)\b",
            r"\bbring (?:my |over my )?(?:number|line)\b",
            r"\bjoin\w* (?:ondanet|you)\b",
            r"\b(?:mudar|mudo|passar|passo|vir|venho|trocar|troco) (?:para|pra) (?:a )?(?:ondanet|voces)\b",
            r"\btrazer (?:o |meu )?(?:numero|linha)\b",
        ]
    )
)


def direction(message: str) -> str | None:
    """JOINING, LEAVING, or None when the message names neither way, or both."""
    text = fold(message)
    leaving = _LEAVING.search(text) is not None
    joining = _JOINING.search(text) is not None
    if leaving == joining:
        return None
    return LEAVING if leaving else JOINING
