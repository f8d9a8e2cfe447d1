"""A text-reading helper process: `python -m bot.reading.helper LANGS DEFAULT`.

It reads length-prefixed pickled chunks `(chunk_id, [(text, preferred_language), ...])` on
stdin and answers `(chunk_id, [reading tuple, ...])` on stdout, after a first `("ready", pid)`
once its reader is built. End of input ends it; Ctrl-C does not (its worker closes the input).
Only the reading modules are imported: no service, no store, no pydantic, so a helper costs the
language models and little else. stdout is the data channel; anything a library prints goes to
stderr.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from typing import Any, BinaryIO

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


def serve(languages: list[str], default: str, inp: BinaryIO, out: BinaryIO) -> None:
    reader = TextReader.for_languages(languages, default)
    write_frame(out, ("ready", os.getpid()))
    while (request := read_frame(inp)) is not None:
        chunk_id, items = request
        write_frame(out, (chunk_id, [reader.read(text, preferred).as_tuple() for text, preferred in items]))


def main() -> None:
    # Ctrl-C reaches the whole process group; the worker that owns this helper decides when it
    # ends (by closing its input), so the helper does not die mid-chunk with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the data channel
    serve(sys.argv[1].split(","), sys.argv[2], sys.stdin.buffer, out)


if __name__ == "__main__":
    main()
