"""netmiko's SSHDetect as the oracle of `device_type: autodetect`: runs it against each device given and reports the
device type it names (null when none). Reads {"devices": [{"id", ConnectHandler kwargs…}]} on stdin, writes
{"results": {id: device_type | null | "error: …"}}.

Only SSHDetect's waits are shortened (a 3 s pause after login, 1 s before each read, reads that end after 6 s of
silence become 0.2 s and 0.6 s): the emulator answers at once, and the probes, patterns, priorities and order are
SSHDetect's own.
"""

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from netmiko import ssh_autodetect
from netmiko.base_connection import BaseConnection
from netmiko.ssh_autodetect import SSHDetect

_sleep = time.sleep
_read_channel_timing = BaseConnection.read_channel_timing


class _FastTime:
    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def sleep(seconds):
        _sleep(min(seconds, 0.2))


def _fast_read_channel_timing(self, *args, **kwargs):
    if "last_read" in kwargs:
        kwargs["last_read"] = min(kwargs["last_read"], 0.6)
    return _read_channel_timing(self, *args, **kwargs)


ssh_autodetect.time = _FastTime()
BaseConnection.read_channel_timing = _fast_read_channel_timing


def detect(device):
    kwargs = {k: v for k, v in device.items() if k != "id"}
    try:
        return SSHDetect(device_type="autodetect", **kwargs).autodetect()
    except Exception as exc:  # noqa: BLE001 - reported, not raised: one device must not hide the others
        return "error: %s: %s" % (type(exc).__name__, exc)


def main():
    devices = json.load(sys.stdin)["devices"]
    with ThreadPoolExecutor(max_workers=len(devices) or 1) as pool:
        found = list(pool.map(detect, devices))
    json.dump({"results": {d["id"]: r for d, r in zip(devices, found)}}, sys.stdout)


if __name__ == "__main__":
    main()
