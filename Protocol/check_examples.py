#!/usr/bin/env python3
"""Checks Protocol/openrpc.json and the examples in Protocol/PROTOCOL.md against each other.

Run it after editing either file:

    pip install jsonschema        # 4.18 or later
    python3 Protocol/check_examples.py

It checks that:
  * every schema in openrpc.json is a valid JSON Schema (draft-07) and uses only the keywords the Swift
    test validator (Tests/EndToEndTests/JSONSchemaValidator.swift) understands, and every $ref resolves;
  * the document only uses the fields the OpenRPC 1.2.6 meta-schema allows (x- extensions where it
    allows them; error objects are just {code, message, data});
  * every method has params, a result and (requests) errors, and a `### \\`method\\`` section with an
    example in PROTOCOL.md; so does every notification the server sends (x-notifications);
  * every ```json block in PROTOCOL.md is valid JSON and a JSON-RPC message; each request's params
    validate against the method's params schema (or, when the example's answer is -32602, do NOT
    validate); each response answers the request before it with the same id, its result validates
    against the method's result schema, its error code is one the method lists, and its object keys
    are sorted (the server encodes with sorted keys). Server notifications (story/chunk) may sit
    between a request and its response; their params validate against their x-notifications entry.
Exit status 0 when everything holds, 1 otherwise (each problem is printed).
"""
import copy
import json
import pathlib
import re
import sys

try:
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7
except ImportError:  # pragma: no cover
    sys.exit("needs jsonschema >= 4.18: pip install jsonschema")

HERE = pathlib.Path(__file__).resolve().parent
DOC = json.loads((HERE / "openrpc.json").read_text(encoding="utf-8"))
MARKDOWN = (HERE / "PROTOCOL.md").read_text(encoding="utf-8")

# The keyword subset JSONSchemaValidator.swift implements. Keep the two in step.
KEYWORDS = {"type", "properties", "required", "additionalProperties", "items", "enum", "minimum",
            "maximum", "minLength", "pattern", "$ref", "oneOf", "anyOf", "description"}
# Errors any request may get besides the ones a method lists (see "Errors" in PROTOCOL.md).
ALWAYS_POSSIBLE = {-32600, -32603, -32002}

problems = []


def problem(text):
    problems.append(text)


def walk_schema(schema, where):
    """Yields (where, schema) for the schema and every subschema."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        problem(f"{where}: a schema must be an object")
        return
    yield where, schema
    for name, sub in schema.get("properties", {}).items():
        yield from walk_schema(sub, f"{where}.properties.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from walk_schema(schema[key], f"{where}.{key}")
    for key in ("oneOf", "anyOf"):
        for i, sub in enumerate(schema.get(key, [])):
            yield from walk_schema(sub, f"{where}.{key}[{i}]")


def resolve_pointer(pointer):
    node = DOC
    for token in pointer.lstrip("#/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or token not in node:
            return None
        node = node[token]
    return node


def all_schemas():
    for name, schema in DOC["components"]["schemas"].items():
        yield f"components.schemas.{name}", schema
    for method in DOC["methods"]:
        for param in method.get("params", []):
            yield f"{method['name']} params.{param['name']}", param["schema"]
        if "result" in method:
            yield f"{method['name']} result", method["result"]["schema"]
    for notification in DOC.get("x-notifications", []):
        for param in notification.get("params", []):
            yield f"{notification['name']} params.{param['name']}", param["schema"]


def params_schema(method):
    """The by-name params object a method accepts, built from its param descriptors."""
    params = method.get("params", [])
    schema = {
        "type": "object",
        "properties": {p["name"]: p["schema"] for p in params},
        "required": [p["name"] for p in params if p.get("required")],
        "additionalProperties": False,
    }
    exactly_one = method.get("x-exactlyOneOf")
    if exactly_one:
        schema["oneOf"] = [{"properties": {n: {"type": "string"}}, "required": [n]} for n in exactly_one]
    return schema


def check_document():
    if DOC.get("openrpc") != "1.2.6":
        problem("openrpc must be 1.2.6")
    if not isinstance(DOC.get("x-notifications"), list):
        problem("x-notifications must be an array")
    for where, schema in all_schemas():
        try:
            jsonschema.Draft7Validator.check_schema(schema)
        except jsonschema.SchemaError as error:
            problem(f"{where}: not a valid draft-07 schema: {error.message}")
        for at, sub in walk_schema(schema, where):
            for key in sub:
                if key not in KEYWORDS:
                    problem(f"{at}: keyword {key!r} is not one the Swift validator supports")
            if "$ref" in sub and resolve_pointer(sub["$ref"]) is None:
                problem(f"{at}: $ref {sub['$ref']} does not resolve")
    for method in DOC["methods"]:
        name = method["name"]
        if method.get("paramStructure") != "by-name":
            problem(f"{name}: paramStructure must be by-name")
        if "params" not in method or "result" not in method:
            problem(f"{name}: needs params and result")
        if not method.get("x-notification"):
            if not method.get("errors"):
                problem(f"{name}: a request must list its errors")
            for error in method.get("errors", []):
                if "$ref" in error and resolve_pointer(error["$ref"]) is None:
                    problem(f"{name}: error $ref {error['$ref']} does not resolve")
        if f"### `{name}`" not in MARKDOWN:
            problem(f"{name}: no '### `{name}`' section in PROTOCOL.md")
    for notification in DOC.get("x-notifications", []):
        name = notification.get("name", "?")
        if "params" not in notification:
            problem(f"x-notifications {name}: needs params")
        if f"### `{name}`" not in MARKDOWN:
            problem(f"{name}: no '### `{name}`' section in PROTOCOL.md")


def check_openrpc_structure():
    """The object fields OpenRPC 1.2.6 (open-rpc/meta-schema) allows; it rejects anything else."""
    def only(obj, allowed, where, extensions=True):
        for key in obj:
            if key not in allowed and not (extensions and key.startswith("x-")):
                problem(f"{where}: field {key!r} is not allowed by OpenRPC 1.2.6")
    only(DOC, {"openrpc", "info", "servers", "methods", "components"}, "document")
    only(DOC["info"], {"title", "description", "termsOfService", "version", "contact", "license"}, "info")
    only(DOC.get("components", {}), {"schemas", "links", "errors", "examples", "examplePairings",
                                     "contentDescriptors", "tags"}, "components", extensions=False)
    for name, error in DOC.get("components", {}).get("errors", {}).items():
        only(error, {"code", "message", "data"}, f"components.errors.{name}", extensions=False)
    for method in DOC["methods"]:
        name = method.get("name", "?")
        only(method, {"name", "description", "summary", "tags", "paramStructure", "params", "result", "errors",
                      "links", "examples", "deprecated"}, name)
        for descriptor in method.get("params", []) + [method.get("result", {})]:
            only(descriptor, {"name", "description", "summary", "schema", "required", "deprecated"}, f"{name} descriptor")
            if "name" not in descriptor or "schema" not in descriptor:
                problem(f"{name}: every content descriptor needs name and schema")


def method_errors(method):
    codes = set()
    for error in method.get("errors", []):
        if "$ref" in error:
            error = resolve_pointer(error["$ref"]) or {}
        codes.add(error.get("code"))
    return codes


def keys_sorted(value, where, label):
    if isinstance(value, dict):
        keys = list(value.keys())
        if keys != sorted(keys):
            problem(f"{label}: keys of {where} are not sorted: {keys}")
        for key, sub in value.items():
            keys_sorted(sub, f"{where}.{key}", label)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            keys_sorted(sub, f"{where}[{i}]", label)


def check_examples():
    methods = {m["name"]: m for m in DOC["methods"]}
    built = copy.deepcopy(DOC)
    server_notifications = {n["name"]: n for n in DOC.get("x-notifications", [])}
    built["x-check"] = {"params": {name: params_schema(m) for name, m in {**server_notifications, **methods}.items()}}
    registry = Registry().with_resource("urn:openrpc", Resource.from_contents(built, default_specification=DRAFT7))

    def validator(pointer):
        return jsonschema.Draft7Validator({"$ref": "urn:openrpc#" + pointer}, registry=registry)

    def escape(name):
        return name.replace("~", "~0").replace("/", "~1")

    blocks = [(MARKDOWN[: m.start()].count("\n") + 2, m.group(1))
              for m in re.finditer(r"```json\n(.*?)```", MARKDOWN, re.S)]
    pending = []  # (line, message) requests and notifications awaiting their check
    exemplified = set()
    last_request = None
    for line, text in blocks:
        label = f"PROTOCOL.md:{line}"
        try:
            message = json.loads(text)
        except json.JSONDecodeError as error:
            problem(f"{label}: not valid JSON: {error}")
            continue
        if message.get("jsonrpc") != "2.0":
            problem(f"{label}: jsonrpc must be \"2.0\"")
        if "method" in message and message["method"] not in methods and message["method"] in server_notifications:
            # Sent by the server while a request runs: the request stays pending.
            name = message["method"]
            exemplified.add(name)
            if "id" in message:
                problem(f"{label}: {name} is a notification")
            check_params(label, name, message, validator, escape, expect_valid=True)
            continue
        if "method" in message:
            name = message["method"]
            if name not in methods:
                problem(f"{label}: unknown method {name}")
                continue
            exemplified.add(name)
            method = methods[name]
            is_notification = "id" not in message
            if is_notification != bool(method.get("x-notification")):
                problem(f"{label}: {name} is {'a notification' if method.get('x-notification') else 'a request'}")
            if is_notification:
                check_params(label, name, message, validator, escape, expect_valid=True)
                last_request = None
            else:
                last_request = (label, message)
            continue
        # A response.
        if last_request is None:
            problem(f"{label}: a response with no request before it")
            continue
        request_label, request = last_request
        last_request = None
        name = request["method"]
        if message.get("id") != request.get("id") or type(message.get("id")) is not type(request.get("id")):
            problem(f"{label}: id {message.get('id')!r} does not echo the request's {request.get('id')!r}")
        keys_sorted(message, "$", label)
        if ("result" in message) == ("error" in message):
            problem(f"{label}: exactly one of result and error")
            continue
        if "result" in message:
            check_params(request_label, name, request, validator, escape, expect_valid=True)
            for error in validator(f"/methods/{list(methods).index(name)}/result/schema").iter_errors(message["result"]):
                problem(f"{label}: {name} result{'.' + '.'.join(map(str, error.absolute_path)) if error.absolute_path else ''}: {error.message}")
        else:
            error = message["error"]
            if not isinstance(error.get("code"), int) or not isinstance(error.get("message"), str):
                problem(f"{label}: error needs an integer code and a string message")
                continue
            code = error["code"]
            if code not in method_errors(methods[name]) | ALWAYS_POSSIBLE:
                problem(f"{label}: {name} does not list error {code}")
            if code == -31001 and (error.get("data", {}).get("kind") not in {"scenario", "card", "adventure", "turn"}
                                   or not isinstance(error.get("data", {}).get("id"), str)):
                problem(f"{label}: -31001 needs data {{kind, id}}")
            if code == -32602 and not isinstance(error.get("data", {}).get("field"), str):
                problem(f"{label}: -32602 examples should name data.field")
            # Text that is not JSON (data {line, column}) passes any schema: its params must validate.
            not_json = code == -32602 and "line" in error.get("data", {})
            check_params(request_label, name, request, validator, escape, expect_valid=(code != -32602 or not_json))
    for name in list(methods) + list(server_notifications):
        if name not in exemplified:
            problem(f"{name}: no example request in PROTOCOL.md")
    return len(blocks)


def check_params(label, name, message, validator, escape, expect_valid):
    params = message.get("params")
    if params is None:
        params = {}  # absent or null: the same as {} for methods without required params
    errors = list(validator(f"/x-check/params/{escape(name)}").iter_errors(params))
    if expect_valid:
        for error in errors:
            path = ".".join(map(str, error.absolute_path))
            problem(f"{label}: {name} params{'.' + path if path else ''}: {error.message}")
    elif not errors:
        problem(f"{label}: {name} params validate, but the example answers -32602")


def main():
    check_document()
    check_openrpc_structure()
    count = check_examples()
    for text in problems:
        print(text)
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print(f"ok: {len(DOC['methods'])} methods, {sum(1 for _ in all_schemas())} schemas, {count} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
