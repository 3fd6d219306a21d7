"""Hostile mutations for the schemathesis run (test/integration/schemathesis.test.ts), loaded by SCHEMATHESIS_HOOKS.

schemathesis generates from each OpenAPI document, so it rarely invents what breaks a JSON store or a timer: a key
holding a NUL byte, `$`-operators and dotted keys in free-form objects, numbers far beyond what a field means, or
an operator object where a filter expects a string. Each hook below lets hypothesis pick, per generated case,
either the case as generated or the case with one such value put at one place of it. The choice is hypothesis's,
so a run is reproduced by its seed and shrinks like any other.
"""

import sys

import schemathesis
from hypothesis import strategies as st
from hypothesis.internal import lambda_sources

# CPython 3.11.7 can raise `SystemError: AST constructor recursion depth mismatch` from `ast.parse` when called deep
# in the stack (a CPython defect, fixed in later releases). hypothesis calls it only to *describe* a lambda in a
# strategy's repr, which it builds eagerly while validating recursive strategies; under load the run then died with
# that error, and with the same seed it dies again. The description is cosmetic, so that one error is turned into
# the description hypothesis gives any lambda whose source it cannot read, with a line on stderr. Nothing else is
# caught.
_describe_lambda = lambda_sources.lambda_description


def _lambda_description_despite_cpython_ast_defect(f):
    try:
        return _describe_lambda(f)
    except SystemError as e:
        if "AST constructor recursion depth mismatch" not in str(e):
            raise
        print("schemathesis_hooks: CPython's AST recursion-depth defect while describing a lambda; described as <unknown>", file=sys.stderr)
        return "lambda: <unknown>"


lambda_sources.lambda_description = _lambda_description_despite_cpython_ast_defect

# Keys MongoDB or FerretDB refuse or mangle, the encoding's own key, and prototype names.
# No lone surrogate: schemathesis itself cannot encode one when it re-validates a stateful step (UnicodeEncodeError
# in the tool); test/unit/free-form.test.ts and injection-and-bounds.test.ts send them.
HOSTILE_KEYS = ["a\x00b", "\x00", "$ne", "$where", "$gt", "a.b", ".", "", "switchyard_json", "__proto__", "constructor"]
# Past 2^31-1 ms (Node's timer limit), past 2^53 (exact integers), past int64, far past any sensible duration.
HOSTILE_NUMBERS = [3.5e16, 99999999999, 2**31, 2**31 + 1, 2**53 + 2, 2**63, 1e308, -1e308, -(2**31) - 1, 1e-300, -1]
HOSTILE_STRINGS = ["99999999999", "35000000000000000", "1e400", "-1", "\x00", '{"$ne": null}', "../../../etc/passwd", "9" * 400]
# MongoDB operator objects where a scalar is expected.
OPERATOR_OBJECTS = [{"$ne": None}, {"$gt": ""}, {"$regex": ".*"}, {"$where": "sleep(1000)"}, {"$in": [None, ""]}]


def _places(value, path=()):
    """Every place in a JSON value: (path, node)."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _places(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _places(v, path + (i,))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        copy[head] = _replace(value[head], rest, new)
        return copy
    copy = list(value)
    copy[head] = _replace(value[head], rest, new)
    return copy


def _mutations_at(node):
    """Strategies for what may replace one node."""
    options = [st.sampled_from(OPERATOR_OBJECTS)]
    if isinstance(node, dict):
        options.append(st.builds(lambda k, v: {**node, k: v}, st.sampled_from(HOSTILE_KEYS), st.sampled_from([1, "x", {"$ne": None}, [[1]]])))
    elif isinstance(node, bool):
        pass
    elif isinstance(node, (int, float)):
        options.append(st.sampled_from(HOSTILE_NUMBERS))
    elif isinstance(node, str):
        options.append(st.sampled_from(HOSTILE_STRINGS + HOSTILE_NUMBERS))
    return st.one_of(options)


def _interesting(node):
    """Objects (free-form ones take any key), numbers, and strings (many carry numbers or ids): not booleans/nulls."""
    return isinstance(node, (dict, str)) or (isinstance(node, (int, float)) and not isinstance(node, bool))


def _hostile(value):
    places = [p for p in _places(value) if _interesting(p[1])]
    if not places:
        return st.just(value)
    mutated = st.sampled_from(places).flatmap(lambda p: _mutations_at(p[1]).map(lambda new: _replace(value, p[0], new)))
    # Mutated twice as often as not: the generated case alone is what schemathesis tries without these hooks.
    return st.one_of(st.just(value), mutated, mutated)


def _body_schema_places(context):
    """From the document: paths of the body's free-form objects (`additionalProperties`, no `properties`) and of its
    enum-valued fields with their values."""
    try:
        raw = context.operation.definition.raw
        root = context.operation.schema.raw_schema
        schema = raw["requestBody"]["content"]["application/json"]["schema"]
    except (AttributeError, KeyError, TypeError):
        return [], {}

    def resolve(s):
        seen = 0
        while isinstance(s, dict) and "$ref" in s and seen < 20:
            node = root
            for part in s["$ref"].lstrip("#/").split("/"):
                node = node[part]
            s, seen = node, seen + 1
        return s if isinstance(s, dict) else {}

    free, enums = set(), {}

    def walk(s, path, depth):
        s = resolve(s)
        if depth > 6:
            return
        for branch in s.get("anyOf", []) + s.get("oneOf", []) + s.get("allOf", []):
            walk(branch, path, depth + 1)
        if isinstance(s.get("enum"), list) and path:
            enums[path] = list(s["enum"])
        props = s.get("properties")
        if isinstance(props, dict):
            for k, v in props.items():
                walk(v, path + (k,), depth + 1)
        elif s.get("type") == "object" and s.get("additionalProperties", True) is not False and path:
            free.add(path)

    walk(schema, (), 0)
    return sorted(free), enums


def _free_form_paths(context):
    return _body_schema_places(context)[0]


def _with_hostile_free_form(body, path):
    """`body` with a hostile key added to the free-form object at `path` (created when the case left it out)."""

    def add(node, rest):
        node = dict(node) if isinstance(node, dict) else {}
        if not rest:
            return st.builds(lambda k, v: {**node, k: v}, st.sampled_from(HOSTILE_KEYS), st.sampled_from([1, "x", {"$ne": None}, [[1]]]))
        return add(node.get(rest[0]), rest[1:]).map(lambda child: {**node, rest[0]: child})

    return add(body, path)


@schemathesis.hook
def flatmap_body(context, body):
    if not isinstance(body, (dict, list)):
        return st.just(body)
    options = [_hostile(body)]
    paths = _free_form_paths(context) if isinstance(body, dict) else []
    if paths:
        # A free-form object is often optional and left out: put one with a hostile key where the document has one.
        options.append(st.sampled_from(paths).flatmap(lambda p: _with_hostile_free_form(body, p)))
    return st.one_of(options)


def _hostile_params(params):
    """Query or path parameters: one value replaced by a hostile string (they travel as text)."""
    if not params:
        return st.just(params)
    keys = sorted(params)
    texts = HOSTILE_STRINGS + [str(n) for n in HOSTILE_NUMBERS] + ['{"$gt": ""}', "[$ne]=1"]
    mutated = st.builds(lambda k, v: {**params, k: v}, st.sampled_from(keys), st.sampled_from(texts))
    return st.one_of(st.just(params), mutated, mutated)


@schemathesis.hook
def flatmap_query(context, query):
    return _hostile_params(query)


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    # A path segment carries no `/` or NUL (schemathesis filters such cases out, and too many filtered cases fail
    # its health check); traversal through ids is tested in hostile-input.test.ts.
    if not path_parameters:
        return st.just(path_parameters)
    keys = sorted(path_parameters)
    texts = [t for t in HOSTILE_STRINGS + ['{"$gt": ""}', "$ne", ".*"] if "/" not in t and "\x00" not in t]
    mutated = st.builds(lambda k, v: {**path_parameters, k: v}, st.sampled_from(keys), st.sampled_from(texts))
    return st.one_of(st.just(path_parameters), mutated, mutated)


@schemathesis.check
def scheduled_task_has_next_run(ctx, response, case):
    """An active INTERVAL or DATE task the scheduler accepted always has a next run (99999999999 s had none)."""
    if "/scheduler/tasks" not in case.path or case.method.upper() not in ("POST", "PUT") or response.status_code != 200:
        return None
    try:
        data = response.json().get("data") or {}
    except Exception:
        return None
    if isinstance(data, dict) and data.get("is_active") and data.get("schedule_type") in ("INTERVAL", "DATE") and data.get("next_run_time") is None:
        raise AssertionError(f"active {data.get('schedule_type')} task {data.get('id')} with schedule_config {data.get('schedule_config')!r} has no next_run_time")
    return None


# ---- a deterministic sweep, added to the examples phase -----------------------------------------------------------
# Random generation rarely combines the two things a class of defect needs (an INTERVAL schedule *and* a huge
# interval). So each operation's first explicit example is also sent with one hostile value at each of its places,
# and with each other value of each enum field combined with a hostile number at each other place. It runs in the
# examples phase, whatever the seed: a class it covers is found every run.
SWEEP_NUMBERS = [3.5e16, 99999999999, 2**31, 1e308]
SWEEP_STRINGS = ["99999999999", '{"$ne": null}', "a\x00b"]
SWEEP_KEYS = ["a\x00b", "$ne", "a.b", "switchyard_json"]
SWEEP_LIMIT = 400
UNIQUE_KEYS = ["name", "gpuId"]


def _set_path(body, path, value):
    if not path:
        return value
    node = dict(body) if isinstance(body, dict) else {}
    node[path[0]] = _set_path(node.get(path[0]), path[1:], value)
    return node


def _sweep_values(node):
    if isinstance(node, bool) or node is None:
        return []
    if isinstance(node, (int, float)):
        return SWEEP_NUMBERS + [{"$ne": None}]
    if isinstance(node, str):
        return SWEEP_STRINGS + SWEEP_NUMBERS[:2] + [{"$gt": ""}]
    return []


def _sweep(context, body):
    free, enums = _body_schema_places(context)
    places = [(p, n) for p, n in _places(body) if p and not isinstance(n, (dict, list))]
    out = []
    for path, node in places:
        for v in _sweep_values(node):
            out.append(_replace(body, path, v))
    for path in free:
        for k in SWEEP_KEYS:
            out.append(_set_path(body, path, {k: 1}))
    for epath, values in enums.items():
        for ev in values:
            with_enum = _set_path(body, epath, ev)
            for path, node in places:
                if path == epath:
                    continue
                for v in SWEEP_NUMBERS[:2] + [str(int(SWEEP_NUMBERS[1]))]:
                    if isinstance(node, (int, float, str)) and not isinstance(node, bool):
                        out.append(_set_path(with_enum, path, v))
    return out[:SWEEP_LIMIT]


@schemathesis.hook
def before_add_examples(context, examples):
    if not examples or context.operation is None:
        return
    base = examples[0]
    body = getattr(base, "body", None)
    if not isinstance(body, dict):
        return
    # An example assembled from the document's per-field examples can hold null where the field takes none (the
    # scheduler's `action`): such a field is left out, so the sweep's cases are refused only for what they vary.
    body = {k: v for k, v in body.items() if not any(n is None for _, n in _places(v))}
    for i, mutated in enumerate(_sweep(context, body)):
        # Creates refuse a name they already hold (409): each case names its own resource.
        for key in UNIQUE_KEYS:
            if isinstance(mutated.get(key), str) and mutated.get(key) == body.get(key):
                mutated = {**mutated, key: f"{body[key][:40]}-{i}"}
        examples.append(
            context.operation.Case(
                body=mutated,
                query=base.query,
                path_parameters=base.path_parameters,
                media_type=getattr(base, "media_type", None),
            )
        )
