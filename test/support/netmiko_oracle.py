"""Python netmiko as the oracle of the `netmiko` driver: drives one emulated device through one session and reports
what netmiko saw. Reads one JSON object on stdin, writes one on stdout.

  in:  {"connect": {ConnectHandler kwargs}, "enable": bool, "show": [cmd], "textfsm": cmd | null,
        "config": [line], "invalid": {"lines": [line], "pattern": regex} | null, "save": "save" | "commit" | null}
  out: {"prompt", "enabled_prompt", "show": {cmd: output}, "parsed": records | text | null, "config": transcript,
        "invalid": message | null, "after_invalid_prompt", "save": output | null, "after": {cmd: output},
        "parsed_after": records, "elapsed": seconds}
  ("after" and "parsed_after": the same commands again at the end, once the configuration has changed.)

ntc-templates come from NET_TEXTFSM (the folder the service parses with), so both sides use one index.
"""

import json
import sys
import time

from netmiko import ConnectHandler
from netmiko.exceptions import ConfigInvalidException


def main():
    spec = json.load(sys.stdin)
    started = time.time()
    out = {"show": {}, "after": {}, "parsed": None, "invalid": None, "save": None}
    conn = ConnectHandler(**spec["connect"])
    out["prompt"] = conn.find_prompt()
    if spec.get("enable"):
        conn.enable()
    out["enabled_prompt"] = conn.find_prompt()
    for cmd in spec["show"]:
        out["show"][cmd] = conn.send_command(cmd)
    if spec.get("textfsm"):
        out["parsed"] = conn.send_command(spec["textfsm"], use_textfsm=True, raise_parsing_error=True)
    if spec.get("config"):
        out["config"] = conn.send_config_set(spec["config"])
    invalid = spec.get("invalid")
    if invalid:
        try:
            conn.send_config_set(invalid["lines"], error_pattern=invalid["pattern"])
        except ConfigInvalidException as exc:
            out["invalid"] = str(exc)
        if conn.check_config_mode():
            conn.exit_config_mode()
        out["after_invalid_prompt"] = conn.find_prompt()
    if spec.get("save") == "save":
        out["save"] = conn.save_config()
    elif spec.get("save") == "commit":
        out["save"] = conn.commit()
    for cmd in spec["show"]:
        out["after"][cmd] = conn.send_command(cmd)
    if spec.get("textfsm"):
        out["parsed_after"] = conn.send_command(spec["textfsm"], use_textfsm=True, raise_parsing_error=True)
    conn.disconnect()
    out["elapsed"] = round(time.time() - started, 2)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
