"""The HTTP API reference page, generated from the server's own OpenAPI schema.

:func:`atlarge.api.create_app` builds the FastAPI app whose ``/openapi.json`` the page
and every client read; this page is that schema written out for people: every
endpoint with its parameters, body and responses, then every schema with its fields.
"""

from __future__ import annotations

from typing import Any

from atlarge.docs_gen.markdown import anchor, cell, code, table, text

METHODS = ("get", "post", "put", "patch", "delete")


def openapi() -> dict[str, Any]:
    """The schema the server publishes at ``/openapi.json``."""
    from atlarge.api import create_app

    return create_app().openapi()


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict[str, Any]) -> str:
    """A JSON schema's type in words, with links to the named schemas it uses."""
    if not schema:
        return "any"
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return f"[{name}](#{anchor('schema-' + name)})"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            parts = [type_of(s) for s in schema[key]]
            return " or ".join(dict.fromkeys(parts))
    if "enum" in schema:
        return "one of " + ", ".join(code(v) for v in schema["enum"])
    if "const" in schema:
        return code(schema["const"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object: name -> {type_of(schema['additionalProperties'])}"
    return str(kind)


def _limits(schema: dict[str, Any]) -> str:
    """Bounds, lengths and defaults a schema states, in words."""
    words = []
    for key, word in (
        ("minimum", "at least"),
        ("exclusiveMinimum", "above"),
        ("maximum", "at most"),
        ("exclusiveMaximum", "below"),
        ("minLength", "length at least"),
        ("maxLength", "length at most"),
        ("maxProperties", "at most this many entries:"),
    ):
        if key in schema:
            value = schema[key]
            value = int(value) if isinstance(value, float) and value.is_integer() else value
            words.append(f"{word} {value:,}" if isinstance(value, int) else f"{word} {value}")
    for sub in schema.get("anyOf", []):
        inner = _limits(sub)
        if inner:
            words.append(inner)
    if "default" in schema:
        words.append(f"default {code(schema['default'])}")
    return "; ".join(words)


def _responses(op: dict[str, Any]) -> list[list[str]]:
    rows = []
    for status, response in op.get("responses", {}).items():
        content = response.get("content", {})
        kinds = []
        for media, body in content.items():
            kinds.append(f"{code(media)}: {type_of(body.get('schema', {}))}")
        rows.append([code(status), cell(response.get("description", "")), "; ".join(kinds)])
    return rows


def endpoints(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation, in the schema's order."""
    return [
        (method.upper(), path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method in METHODS
    ]


def http_reference(spec: dict[str, Any] | None = None) -> str:
    """The whole page."""
    spec = spec or openapi()
    info = spec["info"]
    out = [
        "# HTTP API reference\n",
        f"Generated from the server's OpenAPI schema ({text(info['title'])} "
        f"{text(info['version'])}) each time the site is built; `atlarge serve` publishes "
        "the same schema at `/openapi.json`. On localhost no token is needed; bound to "
        "any other address every `/api` request carries `Authorization: Bearer TOKEN` "
        "(see [`atlarge serve`](cli.md#atlarge-serve)). Errors carry no traceback: a bad "
        "value is a 422 naming its field.\n",
        table(
            ["Method", "Path", "What it does"],
            (
                [code(m), f"[{code(p)}](#{anchor(m + ' ' + p)})", cell(op.get("summary", ""))]
                for m, p, op in endpoints(spec)
            ),
        ),
        "## Endpoints\n",
    ]
    for method, path, op in endpoints(spec):
        out.append(f"### {code(method + ' ' + path)} {{ #{anchor(method + ' ' + path)} }}\n")
        about = op.get("description") or op.get("summary", "")
        out.append(text(about) + "\n")
        params = op.get("parameters", [])
        if params:
            out.append(
                table(
                    ["Parameter", "In", "Required", "Type", "Limits and default"],
                    (
                        [
                            code(p["name"]),
                            p["in"],
                            "yes" if p.get("required") else "no",
                            type_of(p.get("schema", {})),
                            cell(_limits(p.get("schema", {}))),
                        ]
                        for p in params
                    ),
                )
            )
        body = op.get("requestBody")
        if body:
            for media, content in body.get("content", {}).items():
                out.append(f"Request body ({code(media)}): {type_of(content.get('schema', {}))}\n")
        out.append(table(["Status", "Meaning", "Body"], _responses(op)))
    out.append("## Schemas\n")
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        out.append(f"### {name} {{ #{anchor('schema-' + name)} }}\n")
        if schema.get("description"):
            out.append(text(schema["description"]) + "\n")
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        if props:
            out.append(
                table(
                    ["Field", "Type", "Required", "Meaning", "Limits and default"],
                    (
                        [
                            code(field),
                            type_of(sub),
                            "yes" if field in required else "no",
                            cell(sub.get("description", "")),
                            cell(_limits(sub)),
                        ]
                        for field, sub in props.items()
                    ),
                )
            )
        else:
            out.append(f"Type: {type_of(schema)}\n")
    return "\n".join(out)
