"""A text-reading helper process: `python -m bot.reading.helper LANGS DEFAULT [EMBEDDER]`.

It reads length-prefixed pickled chunks `(chunk_id, [(text, preferred_language), ...])` on
stdin and answers `(chunk_id, [reading tuple, ...], vectors)` on stdout, after a first
`("ready", pid)` once its reader (and embedder) is built. With `EMBEDDER` (a spec of
`retrieval.query_embedding`) it also embeds each chunk's texts in one call, so the encoder,
the heaviest work of a decision with the KB on, runs on this core and in batches; without it
`vectors` is None. End of input ends it; Ctrl-C does not (its worker closes the input).
Only the reading modules (and the encoder, when asked) are imported: no service, no store, no
pydantic, so a helper costs the language models and the encoder and little else. stdout is the
data channel; anything a library prints goes to stderr.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from typing import Any, BinaryIO

from bot.cli.malloc_arenas import limit_malloc_arenas
from bot.reading.chunks import ChunkEmbedder, read_chunk
from bot.reading.text_reading import TextReader

HEADER = struct.Struct("!I")


def encode_frame(value: Any) -> bytes:
    """`value` pickled behind its length: one frame of the protocol, both directions."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(payload)) + payload


def write_frame(stream: BinaryIO, value: Any) -> None:
    stream.write(encode_frame(value))
    stream.flush()


def read_frame(stream: BinaryIO) -> Any | None:
    """The next value, or None at end of input."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return pickle.loads(payload)


def serve(
    languages: list[str], default: str, inp: BinaryIO, out: BinaryIO, embedder_spec: str | None = None
) -> None:
    reader = TextReader.for_languages(languages, default)
    embedder = _embedder(embedder_spec) if embedder_spec else None
    write_frame(out, ("ready", os.getpid()))
    while (request := read_frame(inp)) is not None:
        chunk_id, items = request
        write_frame(out, (chunk_id, *read_chunk(reader, embedder, items)))


def _embedder(spec: str) -> ChunkEmbedder:
    """The encoder, loaded and warmed up before `ready` so no chunk waits for it."""
    from retrieval.query_embedding import from_spec  # only helpers that embed pay for the import

    embedder = from_spec(spec)
    embedder.embed_texts(["warm-up"])
    return embedder


def main() -> None:
    # Ctrl-C reaches the whole process group; the worker that owns this helper decides when it
    # ends (by closing its input), so the helper does not die mid-chunk with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_malloc_arenas()
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the data channel
    spec = sys.argv[3] if len(sys.argv) > 3 else None
    serve(sys.argv[1].split(","), sys.argv[2], sys.stdin.buffer, out, spec)


if __name__ == "__main__":
    main()
