"""Seeds a tiktoken cache directory offline, for run.sh's setup.

OpenAIEmbeddings (langchain-openai) counts tokens with tiktoken by default and sends token
ids; tiktoken downloads its BPE files on first use, which this machine cannot do. The
pinned litellm wheel ships the same files (in litellm/litellm_core_utils/tokenizers/, named
by tiktoken's cache key), so we copy them into our own cache directory, after checking each
against the sha256 tiktoken itself expects. tiktoken checks that hash again on every load.

Usage: seed_tiktoken.py CACHE_DIR
"""

import hashlib
import importlib.util
import shutil
import sys
from pathlib import Path

# The encodings the clients use: cl100k_base (OpenAIEmbeddings for text-embedding-3-*)
# and o200k_base (token counting for gpt-4o in LangChain and LiteLLM).
ENCODINGS = ("cl100k_base", "o200k_base")


class _Captured(Exception):
    def __init__(self, path: str, expected_hash: str) -> None:
        super().__init__(path)
        self.path = path
        self.expected_hash = expected_hash


def _blob_of(encoding: str) -> tuple[str, str]:
    """tiktoken's download location and expected sha256 for `encoding`, read from tiktoken's
    own encoding constructors (so nothing here repeats its URLs or hashes)."""
    import tiktoken_ext.openai_public as public

    def capture(path, expected_hash=None):
        raise _Captured(path, expected_hash)

    original = public.load_tiktoken_bpe
    public.load_tiktoken_bpe = capture
    try:
        getattr(public, encoding)()
    except _Captured as found:
        return found.path, found.expected_hash
    finally:
        public.load_tiktoken_bpe = original
    raise SystemExit(f"tiktoken's {encoding} constructor did not load a BPE file")


def main() -> None:
    cache = Path(sys.argv[1])
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("litellm is not installed; it ships the BPE files")
    bundled = Path(list(spec.submodule_search_locations)[0]) / "litellm_core_utils" / "tokenizers"
    cache.mkdir(parents=True, exist_ok=True)
    for encoding in ENCODINGS:
        path, expected = _blob_of(encoding)
        key = hashlib.sha1(path.encode()).hexdigest()
        source = bundled / key
        if not source.is_file():
            raise SystemExit(f"{source} (tiktoken's {encoding}) is not in the litellm wheel")
        got = hashlib.sha256(source.read_bytes()).hexdigest()
        if got != expected:
            raise SystemExit(f"{source}: sha256 {got}, tiktoken expects {expected}")
        shutil.copyfile(source, cache / key)

    # Prove it: load each encoding from the cache alone.
    import os

    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    import tiktoken

    for encoding in ENCODINGS:
        if not tiktoken.get_encoding(encoding).encode("hello world"):
            raise SystemExit(f"{encoding} encodes nothing")
    print(f"[clients-python] tiktoken cache seeded: {', '.join(ENCODINGS)} in {cache}", file=sys.stderr)


if __name__ == "__main__":
    main()
