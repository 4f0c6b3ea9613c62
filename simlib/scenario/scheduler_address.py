"""Syntax of a Dask scheduler address, checked before any connection is tried.

``tcp://host:8786`` (also ``tls://``, ``ucx://``, ``ws://``, ``wss://``, or ``host:port`` for tcp);
host is a DNS name, an IPv4 address or a bracketed IPv6 address; the port is 1–65535.
Imports nothing from simlib or Dask, so the parameter models can use it.
"""
from __future__ import annotations

import ipaddress
import re

SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")
_ADDRESS = re.compile(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<host>\[[^\]]*\]|[^:/\[\]]*)"
                      r"(?::(?P<port>[^/]*))?(?P<rest>.*)$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*\.?$")
EXPECTED = "expected a Dask scheduler address such as tcp://host:8786"


def parse_scheduler_address(address: str) -> str:
    """Return ``address`` unchanged if it is a well-formed scheduler address, else ValueError."""
    if not isinstance(address, str):
        raise ValueError(f"{EXPECTED}; found {type(address).__name__}")
    shown = address if len(address) <= 60 else address[:57] + "..."
    m = _ADDRESS.match(address.strip())
    if address != address.strip() or m is None:
        raise ValueError(f"{EXPECTED}; found {shown!r}")
    scheme, host, port, rest = m["scheme"], m["host"], m["port"], m["rest"]
    if scheme is not None and scheme.lower() not in SCHEMES:
        raise ValueError(f"{EXPECTED} (protocol one of {', '.join(SCHEMES)}); found protocol {scheme!r}")
    if scheme.lower() == "inproc" if scheme else False:  # in-process cluster: inproc://ip/pid/n
        return address
    if rest:
        raise ValueError(f"{EXPECTED} (no path after the port); found {shown!r}")
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ValueError(f"{EXPECTED}; found an invalid IPv6 address {host!r}") from None
    elif not host or not _HOSTNAME.match(host):
        raise ValueError(f"{EXPECTED}; found an invalid host name {host!r}")
    if port is None or port == "":
        raise ValueError(f"{EXPECTED} (with a port); found no port in {shown!r}")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{EXPECTED} (port 1–65535); found port {port[:20]!r}")
    return address
