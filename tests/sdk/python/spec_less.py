"""Classifies the failures of an openai-python `tests/api_resources` run (its junit xml).

Run with the venv of the SDK that was tested (it reads that SDK's resources through
spec/derive_overlay.py to turn the concrete paths of failing calls back into path templates):

    python tests/sdk/python/spec_less.py JUNIT_XML

Every failing or erroring test must have failed with the mock's answer for an operation the
document lacks: a 404 `Invalid URL (METHOD /v1/path)` (unknown path) or a 405 `Invalid method
for URL (METHOD /v1/path); ...` (known path, other method), both in the OpenAI error envelope,
whose method and path (a) match a call the SDK makes and (b) match no operation of
spec/openapi.yml. Prints one line per such operation, `METHOD TEMPLATE`, sorted; and one line
`BAD <test id>: <why>` for every failure that is anything else. Exit status 0 when there are no
BAD lines.
"""

from __future__ import annotations

import pathlib
import re
import sys
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "spec"))

import derive_overlay  # noqa: E402
import openai  # noqa: E402

ANSWER = re.compile(
    r"^openai\.(?:NotFoundError: Error code: 404 - Invalid URL|APIStatusError: Error code: 405 - Invalid method for URL)"
    r" \((GET|POST|PUT|PATCH|DELETE) /v1(/[^)?\s]*)(?:\?[^)\s]*)?\)(?:; supported methods: [A-Z, ]+)?$"
)


def matcher(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]*\})", template.split("?")[0])
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def main() -> int:
    root = ET.parse(sys.argv[1]).getroot()
    spec = derive_overlay.load_spec()
    spec_ops = {
        (m, derive_overlay.template_key(p.split("?")[0]))
        for p, item in spec["paths"].items()
        for m in ("get", "post", "put", "patch", "delete")
        if m in item
    }
    calls = derive_overlay.sdk_calls(pathlib.Path(openai.__file__).parent)
    # The most literal template first (fewest placeholders), so `/a/b` beats `/a/{x}`.
    templates = sorted({(c.method, c.path.split("?")[0]) for c in calls}, key=lambda mt: (mt[1].count("{"), mt))
    found, bad = set(), []
    for case in root.iter("testcase"):
        for kind in ("failure", "error"):
            node = case.find(kind)
            if node is None:
                continue
            test = f"{case.get('classname')}::{case.get('name')}"
            message = (node.get("message") or "").strip()
            m = ANSWER.match(message)
            if not m:
                bad.append(f"BAD {test}: {kind} is not the mock's 404/405 for an unknown operation: {message[:300]}")
                continue
            method, path = m.group(1).lower(), m.group(2)
            hit = next((t for mm, t in templates if mm == method and matcher(t).match(path)), None)
            if hit is None:
                bad.append(f"BAD {test}: no openai-python call matches {method.upper()} {path}")
            elif (method, derive_overlay.template_key(hit)) in spec_ops:
                bad.append(f"BAD {test}: {method.upper()} {hit} is in the spec, yet the mock answered: {message[:200]}")
            else:
                found.add((method.upper(), hit))
    for method, template in sorted(found, key=lambda mt: (mt[1], mt[0])):
        print(f"{method} {template}")
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
