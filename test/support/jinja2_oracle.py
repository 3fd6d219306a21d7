"""Renders templates with Python Jinja2's SandboxedEnvironment (the oracle of the template sandbox's tests).

stdin: a JSON list of {"template": str, "context": {...}}; stdout: a JSON list of {"ok": true, "text": str} or
{"ok": false, "error": str}, one per input, in order. Default environment settings, as a user's Jinja2 has them:
no autoescape, trim_blocks and lstrip_blocks off, the final newline dropped.
"""
import json
import sys

from jinja2.sandbox import SandboxedEnvironment

env = SandboxedEnvironment()
out = []
for case in json.load(sys.stdin):
    try:
        out.append({"ok": True, "text": env.from_string(case["template"]).render(case["context"])})
    except Exception as e:  # noqa: BLE001 - every failure is an answer to compare
        out.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
json.dump(out, sys.stdout)
