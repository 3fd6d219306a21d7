"""Python textfsm as a test oracle for src/parsing/textfsm.ts.

Reads one JSON batch on stdin, writes one JSON object on stdout:

  in:  {"cases": [{"id", "template" | "ntc_template", "text"}],
        "ntc": [{"samples": N, "max_lines": M, "generator": "sre" | "rstr", "seed": S, "stride": K, "offset": O}],
        "compile_all": bool}
  out: {"ntc_version", "templates": {name: text}, "results": [{"id", "template", "text", "outcome"}],
        "compiled": {name: null | error} (with "compile_all": every template of the package, loaded by Python)}

`outcome` is {"records": ParseTextToDicts(...)} or {"error": {"kind": "template" | "parse", "type", "message"}}.

With "ntc", every template shipped by the installed ntc-templates package (or every K-th one from the O-th, with
"stride"/"offset") gets N generated sample outputs. The package ships no command outputs, so the samples are made
here: walk the template's state machine, and for each step pick a rule of the current state and make a line its
regex matches, sometimes adding blank or noise lines. Two line generators: "sre" (this file's own walk of the sre
parse tree) and "rstr" (the PyPI `rstr` package's xeger, a third-party regex-to-string generator; repeats capped at
8, whitespace classes drawn from space and tab so a line stays one line). Either way a line is kept only if the
rule's regex matches it (re.match), and a text only if Python parses it within a second (an exponentially slow
text says nothing about agreement). Generation is seeded per template and by "seed", so a run is repeatable.
"""

import io
import json
import os
import random
import re
import signal
import sys
import zlib

import textfsm

try:
    import importlib

    import rstr

    # The package's `rstr.xeger` attribute is a function; the module holding the repeat limit is this one.
    RSTR_XEGER_MODULE = importlib.import_module("rstr.xeger")
except ImportError:  # the "rstr" generator needs it; the "sre" one does not
    rstr = None

try:
    from re import _constants as C
    from re import _parser as P
except ImportError:  # Python < 3.11
    import sre_constants as C
    import sre_parse as P

# Characters that end a line for str.splitlines(); a generated line must not contain them.
LINE_BREAKS = set("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
PRINTABLE = [chr(c) for c in range(0x21, 0x7F)]
# Rare non-ASCII characters exercise Unicode-aware classes (\w, \d, \s) and case folding.
EXOTIC = ["\u00e9", "\u00df", "\u0416", "\u0661", "\u00a0", "\u2003", "\u00b5", "\u0130", "\u212a", "\U0001F600"]
SPACES = [" ", " ", " ", "\t"]
IGNORECASE = int(re.IGNORECASE)
ASCII = int(re.ASCII)


def ntc_templates_dir():
    import ntc_templates

    return os.path.join(os.path.dirname(ntc_templates.__file__), "templates")


def ntc_version():
    try:
        from importlib.metadata import version

        return version("ntc_templates")
    except Exception:  # noqa: BLE001 - version is informational only
        return "unknown"


class Unsatisfiable(Exception):
    pass


def in_category(cat, ch, ascii_only):
    name = str(cat)
    if "DIGIT" in name:
        ok = ch.isdecimal() and (not ascii_only or ch.isascii())
    elif "SPACE" in name:
        ok = ch.isspace() and (not ascii_only or ch in " \t\n\r\x0b\x0c")
    elif "WORD" in name:
        ok = (ch.isalnum() or ch == "_") and (not ascii_only or ch.isascii())
    else:
        ok = False
    return (not ok) if "NOT" in name else ok


def in_set(items, ch, ascii_only):
    negate = False
    hit = False
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            hit = hit or ord(ch) == av
        elif op is C.RANGE:
            hit = hit or av[0] <= ord(ch) <= av[1]
        elif op is C.CATEGORY:
            hit = hit or in_category(av, ch, ascii_only)
    return hit != negate


def is_space_class(data):
    if len(data) != 1:
        return False
    op, av = data[0]
    return op is C.IN and len(av) == 1 and av[0][0] is C.CATEGORY and str(av[0][1]).endswith("_SPACE") \
        and "NOT" not in str(av[0][1])


class LineGen:
    _trees = {}

    def __init__(self, rng):
        self.rng = rng

    def any_char(self):
        r = self.rng.random()
        if r < 0.03:
            return self.rng.choice(EXOTIC)
        if r < 0.15:
            return " "
        return self.rng.choice(PRINTABLE)

    def set_char(self, items, ascii_only):
        candidates = []
        for op, av in items:
            if op is C.LITERAL:
                candidates.append(chr(av))
            elif op is C.RANGE:
                lo, hi = av
                candidates.append(chr(self.rng.randint(lo, min(hi, lo + 200))))
            elif op is C.CATEGORY:
                name = str(av)
                if "NOT" in name:
                    candidates.append(self.any_char())
                elif "DIGIT" in name:
                    candidates.append(self.rng.choice("0123456789" * 8 + "\u0661"))
                elif "SPACE" in name:
                    candidates.append(self.rng.choice(SPACES * 10 + ["\u00a0"]))
                elif "WORD" in name:
                    candidates.append(self.rng.choice("abcxyzABCXYZ019_" * 6 + "\u00e9\u0416"))
        self.rng.shuffle(candidates)
        for ch in candidates:
            if ch not in LINE_BREAKS and in_set(items, ch, ascii_only):
                return ch
        for _ in range(40):
            ch = self.any_char()
            if ch not in LINE_BREAKS and in_set(items, ch, ascii_only):
                return ch
        raise Unsatisfiable()

    def count(self, lo, hi):
        hi = min(hi, lo + self.rng.choice([0, 1, 1, 2, 3, 5, 8]))
        return self.rng.randint(lo, max(lo, hi))

    def emit(self, data, out, groups, flags):
        for op, av in data:
            if op is C.LITERAL:
                ch = chr(av)
                if flags & IGNORECASE and self.rng.random() < 0.5:
                    ch = ch.swapcase() if len(ch.swapcase()) == 1 else ch
                out.append(ch)
            elif op is C.NOT_LITERAL:
                for _ in range(20):
                    ch = self.any_char()
                    if ord(ch) != av:
                        break
                out.append(ch)
            elif op is C.ANY:
                out.append(self.any_char())
            elif op is C.IN:
                out.append(self.set_char(av, bool(flags & ASCII)))
            elif op is C.BRANCH:
                self.emit(self.rng.choice(av[1]).data, out, groups, flags)
            elif op is C.SUBPATTERN:
                gid, add, dele, sub = av
                start = len(out)
                self.emit(sub.data, out, groups, (flags | int(add)) & ~int(dele))
                if gid is not None:
                    groups[gid] = "".join(out[start:])
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT) or str(op) == "POSSESSIVE_REPEAT":
                lo, hi, sub = av
                if is_space_class(sub.data):
                    # Long runs of blanks under chains of `\s*` backtrack exponentially (in Python too); real
                    # output separates columns with a few spaces, so keep runs short and merge adjacent ones.
                    n = lo if (out and out[-1].isspace()) else lo + self.rng.choice([0, 1, 1, 1, 2, 3])
                    n = min(n, hi)
                else:
                    n = self.count(lo, hi)
                for _ in range(n):
                    self.emit(sub.data, out, groups, flags)
            elif str(op) == "ATOMIC_GROUP":
                self.emit(av.data, out, groups, flags)
            elif op is C.GROUPREF:
                out.append(groups.get(av, ""))
            elif op is C.GROUPREF_EXISTS:
                gid, yes, no = av
                if gid in groups:
                    self.emit(yes.data, out, groups, flags)
                elif no is not None:
                    self.emit(no.data, out, groups, flags)
            # AT, ASSERT and ASSERT_NOT produce nothing; the re.match check below rejects misses.

    def line_for(self, regex, compiled, attempts=25):
        tree = LineGen._trees.get(regex)
        if tree is None:
            tree = LineGen._trees[regex] = P.parse(regex)

        def candidate():
            out = []
            self.emit(tree.data, out, {}, int(tree.state.flags))
            return "".join(out)

        return first_matching_line(candidate, compiled, attempts, (Unsatisfiable, RecursionError))


def first_matching_line(make, compiled, attempts, gives_up):
    """The first of `attempts` lines from `make()` that is one line and that `compiled` matches (in time)."""
    for _ in range(attempts):
        try:
            line = make()
        except gives_up:
            continue
        if LINE_BREAKS.intersection(line):
            continue
        try:
            if guarded_match(compiled, line):
                return line
        except SlowMatch:
            continue
    return None


class RstrLineGen:
    """Lines from rstr's xeger: a third-party reading of the same regex, so a blind spot of LineGen is not shared."""

    def __init__(self, rng):
        if rstr is None:
            raise RuntimeError("the rstr generator needs `pip install rstr` (scripts/stack/install.sh pytools)")
        RSTR_XEGER_MODULE.STAR_PLUS_LIMIT = 8
        self.xeger = rstr.Rstr(rng, whitespace=" \t")

    def line_for(self, regex, compiled, attempts=25):
        # xeger has no answer for some constructs (a group reference before its group, an empty class).
        return first_matching_line(lambda: self.xeger.xeger(regex), compiled, attempts, (KeyError, IndexError, RecursionError, ValueError))


class SlowMatch(BaseException):
    """Not an Exception: run_case's `except Exception` must not take a timeout for a parse error."""


def _on_alarm(_signum, _frame):
    raise SlowMatch()


def guarded_match(regex, line):
    """regex.match(line), abandoned after 50 ms: some templates backtrack exponentially on unlucky lines, in Python
    and in any backtracking engine alike, and such a line tells nothing about parser agreement."""
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    try:
        return regex.match(line)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def next_state(fsm, state, line):
    """The state after `line`, as TextFSM would move; None when an Error rule fires."""
    for rule in fsm.states[state]:
        if guarded_match(rule.regex_obj.regex, line):
            if rule.line_op == "Error":
                return None
            if rule.line_op == "Continue":
                continue
            return rule.new_state or state
    return state


def noise_line(rng):
    kind = rng.random()
    if kind < 0.4:
        return ""
    if kind < 0.6:
        return " " * rng.randint(1, 4)
    words = ["".join(rng.choice(PRINTABLE) for _ in range(rng.randint(1, 9))) for _ in range(rng.randint(1, 6))]
    return (" " * rng.randint(0, 3)) + " ".join(words)


def generate_samples(name, template, samples, max_lines, generator="sre", base_seed=0):
    fsm = textfsm.TextFSM(io.StringIO(template))
    seed = zlib.crc32(name.encode("utf-8")) + base_seed * 7919
    gen_cache = {}
    uses = {}
    texts = []
    for sample in range(samples):
        rng = random.Random(seed * 1000 + sample)
        gen = RstrLineGen(random.Random(seed * 1000 + sample + 1)) if generator == "rstr" else LineGen(rng)
        lines = []
        state = "Start"
        for _ in range(max_lines):
            rules = fsm.states.get(state) or []
            if not rules:
                break
            wants_error = False
            if rng.random() < 0.1:
                line = noise_line(rng)
            else:
                weights = []
                for idx, rule in enumerate(rules):
                    w = max(0.05, 1.0 / (1 + uses.get((state, idx), 0)))
                    if rule.line_op == "Error":
                        w *= 0.001
                    elif rule.new_state in ("End", "EOF"):
                        w *= 0.2
                    if gen_cache.get((state, idx), True) is False:
                        w = 0.0
                    weights.append(w)
                if not any(weights):
                    break
                idx = rng.choices(range(len(rules)), weights=weights)[0]
                rule = rules[idx]
                line = gen.line_for(rule.regex, rule.regex_obj.regex)
                if line is None:
                    gen_cache[(state, idx)] = False
                    continue
                uses[(state, idx)] = uses.get((state, idx), 0) + 1
                wants_error = rule.line_op == "Error"
            try:
                new_state = next_state(fsm, state, line)
            except SlowMatch:
                continue
            # Most templates end a state with `^. -> Error`; a line that trips it by accident would cut the sample
            # short, so keep only a few of those.
            if new_state is None and not wants_error and rng.random() > 0.02:
                continue
            lines.append(line)
            state = new_state
            if state is None or state in ("End", "EOF"):
                break
        text = "\n".join(lines) + ("\n" if rng.random() < 0.8 else "")
        if parses_in_time(template, text):
            texts.append(text)
    return texts


def parses_in_time(template, text, seconds=1.0):
    """Whether Python parses `text` within `seconds` (whatever the outcome)."""
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        run_case(template, text)
        return True
    except SlowMatch:
        return False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def run_case(template, text):
    try:
        fsm = textfsm.TextFSM(io.StringIO(template))
    except Exception as exc:  # noqa: BLE001 - any failure to load counts as a template error
        return {"error": {"kind": "template", "type": type(exc).__name__, "message": str(exc)}}
    try:
        return {"records": fsm.ParseTextToDicts(text)}
    except Exception as exc:  # noqa: BLE001 - TextFSMError, or TypeError for a List value that did not match
        return {"error": {"kind": "parse", "type": type(exc).__name__, "message": str(exc)}}


def main():
    signal.signal(signal.SIGALRM, _on_alarm)
    batch = json.load(sys.stdin)
    results = []
    templates = {}
    tdir = None

    def ntc_text(name):
        nonlocal tdir
        if name not in templates:
            tdir = tdir or ntc_templates_dir()
            with open(os.path.join(tdir, name), encoding="utf-8", newline="") as fh:
                templates[name] = fh.read()
        return templates[name]

    for case in batch.get("cases", []):
        name = case.get("ntc_template")
        template = ntc_text(name) if name else case["template"]
        results.append(
            {"id": case["id"], "template": name, "text": case["text"], "outcome": run_case(template, case["text"])}
        )

    specs = batch.get("ntc") or []
    for ntc in [specs] if isinstance(specs, dict) else specs:
        tdir = ntc_templates_dir()
        names = [n for n in sorted(os.listdir(tdir)) if n.endswith(".textfsm")]
        stride = ntc.get("stride") or 1
        for name in names[ntc.get("offset", 0) :: stride]:
            template = ntc_text(name)
            try:
                texts = generate_samples(name, template, ntc["samples"], ntc["max_lines"], ntc.get("generator", "sre"), ntc.get("seed", 0))
            except Exception as exc:  # noqa: BLE001 - a template Python cannot load still gets compared
                texts = [""]
                sys.stderr.write("cannot generate samples for %s: %s\n" % (name, exc))
            for i, text in enumerate(texts):
                results.append(
                    {"id": "%s#%s%d" % (name, ntc.get("generator", "sre"), i), "template": name, "text": text, "outcome": run_case(template, text)}
                )

    compiled = {}
    if batch.get("compile_all"):
        tdir = tdir or ntc_templates_dir()
        for name in sorted(os.listdir(tdir)):
            if name.endswith(".textfsm"):
                outcome = run_case(ntc_text(name), "")
                compiled[name] = outcome["error"] if "error" in outcome and outcome["error"]["kind"] == "template" else None

    json.dump({"ntc_version": ntc_version(), "templates": templates, "results": results, "compiled": compiled}, sys.stdout)


if __name__ == "__main__":
    main()
