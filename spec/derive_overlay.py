#!/usr/bin/env python3
"""Derives spec/overlay.json entries from the newest openai-python release.

The SDK is generated from a newer OpenAPI document than the one pinned in
spec/openapi.yml, so it sends request fields, requires response fields and
names model ids the pinned document does not have yet. This script reads the
installed `openai` package (its resources and types) and compares it with the
document:
* request parameters: for every SDK method whose HTTP call (method + path)
  the document describes, the keys of its `*_params.py` TypedDict that the
  request body schema lacks become an `add` of that property, typed from the
  SDK's annotation (Optional -> anyOf with null, Literal -> enum); a field the
  document requires that an SDK overload lets callers omit leaves `required`;
* response fields: for the same operations, every field the SDK's pydantic
  model requires (no default, not Optional) that the document's response
  schema lacks or leaves optional is made present (an `add` typed from the
  annotation) and required (a `replace`/`add` of `required`); nested models
  are followed through `$ref`, `allOf`, arrays and `type`-discriminated
  unions; anything ambiguous is skipped;
* model ids: the Literal values of the SDK's model aliases (ChatModel, ResponsesModel, ...)
  that no model enum of the document names, as a component `OpenaiPython<Alias>` (build.rs
  cannot append to an array; src/endpoints/models.rs reads every *Model* component's enums).

Derived entries carry `"derived": "openai-python <version>"` and a `why` naming the SDK type;
hand-written entries (no `derived`) are kept as they are. Output is sorted, so deterministic.

Usage (from the crate root, with the venv of
`SDK_PYTHON_VERSION=3.63.0 tests/sdk/python/run.sh --setup-only`):

    target/sdk-python/v3.63.0/venv/bin/python spec/derive_overlay.py          # rewrite
    target/sdk-python/v3.63.0/venv/bin/python spec/derive_overlay.py --check  # verify

`--check` exits 1, naming entries, when the checked-in overlay differs from
what would be written, or when an `add` (derived or hand-written) is stale
because the document already has its target.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import json
import pathlib
import re
import sys
import typing
from typing import Any, Dict, List, Optional, Tuple

import typing_extensions
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "openapi.yml"
OVERLAY = ROOT / "spec" / "overlay.json"
HTTP_CALLS = {"_get": "get", "_post": "post", "_put": "put", "_patch": "patch", "_delete": "delete", "_get_api_list": "get"}
MODEL_ALIASES = [
    ("openai.types.shared.chat_model", "ChatModel"),
    ("openai.types.shared.responses_model", "ResponsesModel"),
    ("openai.types.shared.all_models", "AllModels"),
    ("openai.types.embedding_model", "EmbeddingModel"),
    ("openai.types.image_model", "ImageModel"),
    ("openai.types.audio_model", "AudioModel"),
    ("openai.types.audio.speech_model", "SpeechModel"),
    ("openai.types.video_model", "VideoModel"),
    ("openai.types.moderation_model", "ModerationModel"),
]


# ------------------------------------------------------------------ document
class _Yaml12Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """YAML 1.2 booleans: only true/false (so `required: [x, y]` keeps `y`)."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def load_spec() -> Dict[str, Any]:
    with open(SPEC, encoding="utf-8") as f:
        return yaml.load(f, Loader=_Yaml12Loader)


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class Doc:
    """The document, with $ref resolution by JSON pointer."""

    def __init__(self, spec: Dict[str, Any]):
        self.spec = spec

    def at(self, pointer: str) -> Any:
        node: Any = self.spec
        for raw in pointer.lstrip("/").split("/"):
            key = raw.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    def deref(self, schema: Any, pointer: str) -> Tuple[Any, str]:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 20:
            pointer = schema["$ref"].lstrip("#")
            schema = self.at(pointer)
            seen += 1
        return schema, pointer

    def objects(self, schema: Any, pointer: str) -> List[Tuple[Dict[str, Any], str]]:
        """The object schemas that make up `schema` through $ref and allOf."""
        schema, pointer = self.deref(schema, pointer)
        if not isinstance(schema, dict):
            return []
        out = [(schema, pointer)]
        for i, part in enumerate(schema.get("allOf", [])):
            out += self.objects(part, f"{pointer}/allOf/{i}")
        return out

    def branches(self, schema: Any, pointer: str) -> List[Tuple[Dict[str, Any], str]]:
        """The anyOf/oneOf branches of `schema` (after $ref), flattened."""
        schema, pointer = self.deref(schema, pointer)
        if not isinstance(schema, dict):
            return []
        for key in ("anyOf", "oneOf"):
            if key in schema:
                out = []
                for i, part in enumerate(schema[key]):
                    out += self.branches(part, f"{pointer}/{key}/{i}")
                return out
        return [(schema, pointer)]

    def model_ids(self) -> set:
        """What src/endpoints/models.rs lists: enums of *Model* components and `model` properties."""
        ids: set = set()

        def walk(node: Any, is_model: bool) -> None:
            if isinstance(node, dict):
                if is_model and isinstance(node.get("enum"), list):
                    ids.update(v for v in node["enum"] if isinstance(v, str))
                for key, value in node.items():
                    if key == "properties" and isinstance(value, dict):
                        for name, prop in value.items():
                            walk(prop, name == "model")
                    else:
                        walk(value, is_model)
            elif isinstance(node, list):
                for item in node:
                    walk(item, is_model)

        for name, schema in self.spec["components"]["schemas"].items():
            walk(schema, "Model" in name)
        return ids


# ----------------------------------------------------------------- SDK calls
def _path_of(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "path_template" and node.args:
        return _path_of(node.args[0])
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            else:
                parts.append("{x}")
        return "".join(parts)
    return None


def _type_refs(node: ast.AST) -> List[Tuple[str, str]]:
    """`module.Class` references in a maybe_transform type argument (IfExp gives both)."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return [(node.value.id, node.attr)]
    if isinstance(node, ast.IfExp):
        return _type_refs(node.body) + _type_refs(node.orelse)
    return []


def _kw(call: ast.Call, name: str) -> Optional[ast.AST]:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


class Call(typing.NamedTuple):
    method: str
    path: str
    params: List[Any]  # TypedDict classes of the body
    keys: Optional[List[str]]  # the body keys the method sends, when written as a dict literal
    response: Any  # pydantic model class (or None); for a listing, the item's
    listing: bool  # a paginated list (`_get_api_list`): the answer's `data` holds `response`s
    where: str  # resources module and function


def sdk_calls(package: pathlib.Path) -> List[Call]:
    calls = []
    for file in sorted((package / "resources").rglob("*.py")):
        rel = file.relative_to(package.parent).with_suffix("")
        modname = ".".join(rel.parts)
        tree = ast.parse(file.read_text(encoding="utf-8"))
        module = None
        for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
            if cls.name.startswith("Async") or "With" in cls.name:
                continue
            for fn in [n for n in cls.body if isinstance(n, ast.FunctionDef)]:
                for call in [n for n in ast.walk(fn) if isinstance(n, ast.Call)]:
                    f = call.func
                    if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self"):
                        continue
                    if f.attr not in HTTP_CALLS or not call.args:
                        continue
                    path = _path_of(call.args[0])
                    if path is None:
                        continue
                    module = module or importlib.import_module(modname)
                    params: List[Any] = []
                    keys = None
                    body = _kw(call, "body")
                    if isinstance(body, ast.Call) and getattr(body.func, "id", "") == "maybe_transform" and len(body.args) > 1:
                        if isinstance(body.args[0], ast.Dict):
                            keys = [k.value for k in body.args[0].keys if isinstance(k, ast.Constant)]
                        for mod, name in _type_refs(body.args[1]):
                            holder = getattr(module, mod, None)
                            tp = getattr(holder, name, None)
                            # A params alias may be a Union of TypedDicts (overloads).
                            params += [a for a in typing.get_args(tp)] if typing.get_origin(tp) is typing.Union else ([tp] if tp is not None else [])
                    response = None
                    target = _kw(call, "model") if f.attr == "_get_api_list" else _kw(call, "cast_to")
                    if isinstance(target, ast.Name):
                        response = getattr(module, target.id, None)
                    calls.append(
                        Call(HTTP_CALLS[f.attr], path, params, keys, response, f.attr == "_get_api_list", f"{modname}.{cls.name}.{fn.name}")
                    )
    return calls


def template_key(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


# ------------------------------------------------------------ type -> schema
# For an annotation with no JSON equivalent (file contents, IO, ...): a string, an object or a
# list of those. Never `{}`: every declared argument must still refuse a wrong shape.
ANY = {"anyOf": [{"type": "string"}, {"type": "object"}, {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}}]}
_WRAPPERS = {typing.Annotated, typing_extensions.Annotated, typing_extensions.Required, typing_extensions.NotRequired}


def _strip(tp: Any) -> Any:
    """Drops Annotated/Required/NotRequired wrappers."""
    while typing.get_origin(tp) in _WRAPPERS:
        tp = typing.get_args(tp)[0]
    return tp


def _td_required(td: Any, fields: Dict[str, Any], key: str) -> bool:
    """Whether TypedDict `td` requires `key`, read from its resolved hints (`__required_keys__`
    is unreliable when the module uses `from __future__ import annotations`)."""
    if key not in fields:
        return False
    origin = typing.get_origin(fields[key])
    if origin is typing.Annotated:
        origin = typing.get_origin(typing.get_args(fields[key])[0])
    if origin is typing_extensions.Required:
        return True
    if origin is typing_extensions.NotRequired:
        return False
    return bool(getattr(td, "__total__", True))


def _is_model(tp: Any) -> bool:
    from openai._models import BaseModel

    return inspect.isclass(tp) and issubclass(tp, BaseModel)


def schema_of(tp: Any, depth: int = 0) -> Dict[str, Any]:
    """A JSON schema for a request or response annotation; `ANY` where unsure."""
    tp = _strip(tp)
    origin = typing.get_origin(tp)
    args = [a for a in typing.get_args(tp)]
    if tp is type(None):
        return {"type": "null"}
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if origin is typing.Literal:
        values = sorted(args, key=str)
        if all(isinstance(v, str) for v in values):
            return {"type": "string", "enum": values}
        return {"enum": values}
    if origin is typing.Union or str(origin) == "types.UnionType":
        nulls = [a for a in args if a is type(None)]
        rest = [schema_of(a, depth) for a in args if a is not type(None)]
        if any(s is ANY for s in rest):
            return dict(ANY, anyOf=ANY["anyOf"] + ([{"type": "null"}] if nulls else []))
        if len(rest) == 1 and not nulls:
            return rest[0]
        return {"anyOf": rest + ([{"type": "null"}] if nulls else [])}
    if origin in (list, typing.List) or getattr(origin, "__name__", "") in ("Iterable", "Sequence", "SequenceNotStr", "list"):
        item = schema_of(args[0], depth) if args else ANY
        return ANY if item is ANY else {"type": "array", "items": item}
    if origin in (dict, typing.Dict) or getattr(origin, "__name__", "") in ("Mapping", "dict"):
        return {"type": "object"}
    if _is_model(tp) and depth < 3:
        props, required = {}, []
        for name, field in tp.model_fields.items():
            key = field.alias or name
            props[key] = schema_of(field.annotation, depth + 1)
            if field.is_required():
                required.append(key)
        out: Dict[str, Any] = {"type": "object", "properties": props}
        if required:
            out["required"] = required
        return out
    if typing_extensions.is_typeddict(tp) or _is_model(tp):
        return {"type": "object"}
    return ANY


def _optional(tp: Any) -> bool:
    tp = _strip(tp)
    return (typing.get_origin(tp) is typing.Union or str(typing.get_origin(tp)) == "types.UnionType") and type(None) in typing.get_args(tp)


# ---------------------------------------------------------------- derivation
class Deriver:
    def __init__(self, doc: Doc, version: str):
        self.doc = doc
        self.version = version
        self.tag = f"openai-python {version}"
        self.adds: Dict[str, Dict[str, Any]] = {}
        self.required: Dict[str, Dict[str, Any]] = {}  # pointer of the object -> {"fields": set, "why": set}
        self.seen: set = set()
        self.optional: Dict[str, Dict[str, Any]] = {}  # pointer of a request object -> fields the SDK may omit

    def entry_add(self, path: str, value: Any, why: str) -> None:
        old = self.adds.get(path)
        if old is None:
            self.adds[path] = {"op": "add", "path": path, "value": value, "why": why, "derived": self.tag}
        elif old["value"] != value:
            # Overloads (a Union of TypedDicts) type the same key differently: accept either.
            a, b = old["value"], value
            if a.get("type") == b.get("type") == "string" and "enum" in a and "enum" in b:
                old["value"] = {"type": "string", "enum": sorted(set(a["enum"]) | set(b["enum"]))}
            elif a == ANY or b == ANY:
                old["value"] = ANY
            else:
                branches = a.get("anyOf", [a]) + [x for x in b.get("anyOf", [b]) if x not in a.get("anyOf", [a])]
                old["value"] = {"anyOf": branches}

    # request bodies
    def request(self, call: Call, op: Dict[str, Any], op_ptr: str) -> None:
        content = op.get("requestBody", {}).get("content", {})
        if not call.params:
            return
        hints = []
        for td in call.params:
            try:
                hints.append((td, typing.get_type_hints(td, include_extras=True)))
            except Exception as e:  # an annotation that does not resolve: skip, and say so
                print(f"warning: cannot read {td.__module__}.{td.__name__}: {e}", file=sys.stderr)
        for media in sorted(content):
            if media not in ("application/json", "multipart/form-data", "application/x-www-form-urlencoded"):
                continue
            schema_ptr = f"{op_ptr}/requestBody/content/{escape(media)}/schema"
            schema = content[media].get("schema")
            parts = self.doc.objects(schema, schema_ptr)
            holder = self.holder(schema, schema_ptr)
            if not parts or holder is None:
                continue
            known = {p.get("name") for p in op.get("parameters", []) if isinstance(p, dict)}
            for part, _ in parts:
                known.update(part.get("properties", {}))
            for td, fields in hints:
                for key, tp in sorted(fields.items()):
                    if key in known or key.startswith("_") or (call.keys is not None and key not in call.keys):
                        continue
                    why = (
                        f"{self.tag} sends `{key}` to {call.method.upper()} {call.path} "
                        f"({td.__module__}.{td.__name__}); the pinned document does not declare it, "
                        f"so the mock would answer 'Unrecognized request argument supplied: {key}'."
                    )
                    self.entry_add(f"{holder}/properties/{escape(key)}", schema_of(tp), why)
            # Fields the document requires that an SDK overload lets the caller omit.
            for part, pptr in parts:
                for key in part.get("required", []):
                    if not isinstance(key, str):
                        continue
                    for td, fields in hints:
                        if _td_required(td, fields, key):
                            continue
                        if call.keys is not None and key not in call.keys:
                            continue
                        slot = self.optional.setdefault(pptr, {"fields": set(), "why": set()})
                        slot["fields"].add(key)
                        slot["why"].add(f"{td.__module__}.{td.__name__}")

    def holder(self, schema: Any, ptr: str) -> Optional[str]:
        """Where a new property of `schema` goes: its own `properties`, else its last inline
        allOf member's; None for unions (which branch would be a guess)."""
        top, tptr = self.doc.deref(schema, ptr)
        if not isinstance(top, dict) or "anyOf" in top or "oneOf" in top:
            return None
        if isinstance(top.get("properties"), dict):
            return tptr
        inline = [i for i, part in enumerate(top.get("allOf", [])) if isinstance(part, dict) and "$ref" not in part and isinstance(part.get("properties"), dict)]
        return f"{tptr}/allOf/{inline[-1]}" if inline else None

    # response models
    def response(self, model: Any, schema: Any, ptr: str, where: str, depth: int = 0) -> None:
        if depth > 8 or not _is_model(model):
            return
        key = (model, ptr)
        if key in self.seen:
            return
        self.seen.add(key)
        parts = self.doc.objects(schema, ptr)
        if not parts or any("anyOf" in p or "oneOf" in p for p, _ in parts):
            return
        props: Dict[str, Tuple[Any, str]] = {}
        required: set = set()
        for part, pptr in parts:
            for name, sub in part.get("properties", {}).items():
                props.setdefault(name, (sub, f"{pptr}/properties/{escape(name)}"))
            required.update(part.get("required", []))
        holder = self.holder(schema, ptr)
        if holder is None:
            return
        owner = holder  # the object whose `required` list gets the field
        for name, field in model.model_fields.items():
            fkey = field.alias or name
            tp = field.annotation
            if field.is_required() and not _optional(tp):
                why_field = f"{model.__module__}.{model.__name__}.{fkey}"
                if fkey not in props:
                    self.entry_add(
                        f"{holder}/properties/{escape(fkey)}",
                        schema_of(tp),
                        f"{self.tag} requires `{fkey}` in {where} answers ({why_field}); the pinned document does not have it.",
                    )
                if fkey not in required:
                    slot = self.required.setdefault(owner, {"fields": set(), "why": set()})
                    slot["fields"].add(fkey)
                    slot["why"].add(why_field)
            if fkey in props:
                self.follow(tp, props[fkey][0], props[fkey][1], where, depth + 1)

    def follow(self, tp: Any, schema: Any, ptr: str, where: str, depth: int) -> None:
        tp = _strip(tp)
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Union or str(origin) == "types.UnionType":
            members = [_strip(a) for a in args if a is not type(None)]
            if len(members) == 1:
                return self.follow(members[0], schema, ptr, where, depth)
            branches = self.doc.branches(schema, ptr)
            for m in members:
                lit = self.type_literal(m)
                if lit is None:
                    continue
                hits = [(b, bp) for b, bp in branches if self.branch_type(b, bp) == lit]
                if len(hits) == 1:
                    self.response(m, hits[0][0], hits[0][1], where, depth)
            return
        if origin in (list, typing.List):
            resolved, rptr = self.doc.deref(schema, ptr)
            if isinstance(resolved, dict) and "items" in resolved and args:
                self.follow(args[0], resolved["items"], f"{rptr}/items", where, depth)
            return
        if _is_model(tp):
            resolved, rptr = self.doc.deref(schema, ptr)
            if isinstance(resolved, dict) and ("anyOf" in resolved or "oneOf" in resolved):
                lit = self.type_literal(tp)
                hits = [(b, bp) for b, bp in self.doc.branches(resolved, rptr) if lit is not None and self.branch_type(b, bp) == lit]
                if len(hits) == 1:
                    self.response(tp, hits[0][0], hits[0][1], where, depth)
                return
            self.response(tp, schema, ptr, where, depth)

    @staticmethod
    def type_literal(model: Any) -> Optional[str]:
        if not _is_model(model) or "type" not in model.model_fields:
            return None
        tp = _strip(model.model_fields["type"].annotation)
        if typing.get_origin(tp) is typing.Literal and len(typing.get_args(tp)) == 1:
            return typing.get_args(tp)[0]
        return None

    def branch_type(self, branch: Dict[str, Any], ptr: str) -> Optional[str]:
        for part, _ in self.doc.objects(branch, ptr):
            t = part.get("properties", {}).get("type")
            t, _ = self.doc.deref(t, "")
            if isinstance(t, dict):
                if isinstance(t.get("enum"), list) and len(t["enum"]) == 1:
                    return t["enum"][0]
                if "const" in t:
                    return t["const"]
        return None

    def required_entries(self) -> List[Dict[str, Any]]:
        out = []
        for owner, slot in sorted(self.optional.items()):
            if owner in self.required:
                print(f"warning: {owner} is both a request and a response schema; left alone", file=sys.stderr)
                continue
            obj = self.doc.at(owner)
            fields = sorted(slot["fields"])
            value = [f for f in obj["required"] if f not in slot["fields"]]
            them = "it" if len(fields) == 1 else "them"
            why = (
                f"{self.tag} lets {', '.join('`' + f + '`' for f in fields)} be omitted "
                f"({'; '.join(sorted(slot['why']))}); the pinned document requires {them}, "
                f"so the mock would answer 'Missing required parameter'."
            )
            out.append({"op": "replace", "path": f"{owner}/required", "value": value, "why": why, "derived": self.tag})
        for owner, slot in self.required.items():
            obj = self.doc.at(owner)
            existing = list(obj.get("required", []))
            fields = sorted(slot["fields"])
            why = f"{self.tag} requires {', '.join('`' + f + '`' for f in fields)} ({'; '.join(sorted(slot['why']))}); the pinned document leaves {'it' if len(fields) == 1 else 'them'} optional or lacks {'it' if len(fields) == 1 else 'them'}, so the mock could omit {'it' if len(fields) == 1 else 'them'}."
            value = existing + [f for f in fields if f not in existing]
            op = "replace" if "required" in obj else "add"
            out.append({"op": op, "path": f"{owner}/required", "value": value, "why": why, "derived": self.tag})
        return out


def derive(doc: Doc) -> List[Dict[str, Any]]:
    import openai

    version = openai.__version__
    d = Deriver(doc, version)
    paths = doc.spec["paths"]
    by_key = {}
    for path, item in paths.items():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                by_key[(method, template_key(path))] = (path, item[method])
    for call in sdk_calls(pathlib.Path(openai.__file__).parent):
        hit = by_key.get((call.method, template_key(call.path)))
        if hit is None:
            continue
        path, op = hit
        op_ptr = f"/paths/{escape(path)}/{call.method}"
        d.request(call, op, op_ptr)
        if call.response is not None and _is_model(call.response):
            responses = op.get("responses", {})
            code = next((c for c in ("200", "201") if c in responses), None)
            if code is None:
                continue
            content = doc.deref(responses[code], "")[0].get("content", {})
            if "application/json" not in content:
                continue
            schema_ptr = f"{op_ptr}/responses/{code}/content/application~1json/schema"
            schema = content["application/json"].get("schema")
            resolved, rptr = doc.deref(schema, schema_ptr)
            # List endpoints: the model is the item of `data`.
            data = resolved.get("properties", {}).get("data") if isinstance(resolved, dict) else None
            sub, sptr = doc.deref(data, f"{rptr}/properties/data")
            if call.listing:
                if isinstance(sub, dict) and "items" in sub and data is not None:
                    d.response(call.response, sub["items"], f"{sptr}/items", f"{call.method.upper()} {path}")
                continue
            d.response(call.response, schema, schema_ptr, f"{call.method.upper()} {path}")
    entries = list(d.adds.values()) + d.required_entries()
    # Model ids.
    known = doc.model_ids()
    for modname, alias in MODEL_ALIASES:
        try:
            tp = getattr(importlib.import_module(modname), alias)
        except (ImportError, AttributeError):
            continue
        values = sorted({v for v in _literals(tp) if v not in known})
        if values:
            entries.append(
                {
                    "op": "add",
                    "path": f"/components/schemas/OpenaiPython{alias}",
                    "value": {"type": "string", "enum": values},
                    "why": f"{d.tag}'s {modname}.{alias} names model ids no model enum of the pinned document has; build.rs cannot append to an enum, so they are a component of their own, which /models reads like every *Model* component.",
                    "derived": d.tag,
                }
            )
            known.update(values)
    return entries


def _literals(tp: Any) -> List[str]:
    tp = _strip(tp)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return [a for a in typing.get_args(tp) if isinstance(a, str)]
    if origin is typing.Union or str(origin) == "types.UnionType":
        return [v for a in typing.get_args(tp) for v in _literals(a)]
    return []


# ---------------------------------------------------------------------- main
def render(overlay: Dict[str, Any], derived: List[Dict[str, Any]]) -> str:
    hand = [p for p in overlay.get("patches", []) if "derived" not in p]
    derived = sorted(derived, key=lambda p: (p["path"], p["op"]))
    out = dict(overlay)
    out["patches"] = hand + derived
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def apply(spec: Dict[str, Any], patches: List[Dict[str, Any]]) -> Dict[str, Any]:
    """A copy of `spec` with `patches` applied the way build.rs applies them (an `add` whose
    target exists is skipped; a patch that does not fit is skipped here, build.rs fails)."""
    out = json.loads(json.dumps(spec))
    doc = Doc(out)
    for p in patches:
        parent_ptr, _, key = p["path"].rpartition("/")
        key = key.replace("~1", "/").replace("~0", "~")
        try:
            parent = doc.at(parent_ptr) if parent_ptr else out
        except (KeyError, IndexError, ValueError):
            continue
        if not isinstance(parent, dict):
            continue
        if p["op"] == "add" and key not in parent or p["op"] == "replace" and key in parent:
            parent[key] = p["value"]
        elif p["op"] == "remove":
            parent.pop(key, None)
    return out


def stale(spec: Dict[str, Any], patches: List[Dict[str, Any]]) -> List[str]:
    """`add` entries whose target the document already has."""
    doc = Doc(spec)
    out = []
    for i, p in enumerate(patches):
        if p.get("op") != "add":
            continue
        try:
            doc.at(p["path"])
        except (KeyError, IndexError, ValueError, TypeError):
            continue
        out.append(f"patch {i} (add {p['path']}) is stale: the document already has it")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if spec/overlay.json is stale or not what this would write")
    args = ap.parse_args()
    spec = load_spec()
    text = OVERLAY.read_text(encoding="utf-8")
    overlay = json.loads(text)
    hand = [p for p in overlay.get("patches", []) if "derived" not in p]
    taken = {p["path"] for p in hand}
    # Derive against the document as the hand-written entries leave it; they win on a tie.
    derived = [p for p in derive(Doc(apply(spec, hand))) if p["path"] not in taken]
    new = render(overlay, derived)
    problems = stale(spec, overlay.get("patches", []))
    if args.check:
        if new != text:
            old_set = {json.dumps(p, sort_keys=True) for p in overlay.get("patches", [])}
            new_set = {json.dumps(p, sort_keys=True) for p in json.loads(new)["patches"]}
            for p in sorted(old_set - new_set):
                q = json.loads(p)
                problems.append(f"checked in but not derived (or changed): {q['op']} {q['path']}")
            for p in sorted(new_set - old_set):
                q = json.loads(p)
                problems.append(f"derived but not checked in (or changed): {q['op']} {q['path']}")
            if not problems:
                problems.append("spec/overlay.json is not in the order/format this script writes")
        for line in problems:
            print(f"derive_overlay --check: {line}", file=sys.stderr)
        if problems:
            print("run: target/sdk-python/v3.63.0/venv/bin/python spec/derive_overlay.py", file=sys.stderr)
            return 1
        print(f"spec/overlay.json is current ({len(derived)} derived entries)")
        return 0
    OVERLAY.write_text(new, encoding="utf-8")
    kinds: Dict[str, int] = {}
    for p in derived:
        kind = "model ids" if p["path"].startswith("/components/schemas/OpenaiPython") else ("required" if p["path"].endswith("/required") else "property")
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"wrote {OVERLAY.relative_to(ROOT)}: {len(derived)} derived entries {kinds}")
    for line in problems:
        print(f"warning: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
