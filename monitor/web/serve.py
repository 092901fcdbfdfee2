"""``monitor web``: check the address, then serve the console with uvicorn.

Does I/O (a listening socket). Loopback (127.0.0.1, ::1, localhost) is served as is;
any other address needs ``settings.web.token`` and is refused without one, in one
line, before anything listens.
"""

from __future__ import annotations

import ipaddress
import sys

from monitor.config.schema import Config
from monitor.logs import get_logger

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "is_loopback", "refusal", "serve"]

log = get_logger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def is_loopback(host: str) -> bool:
    """True for loopback addresses and ``localhost``; any other name is not."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refusal(host: str, config: Config) -> str | None:
    """Why ``host`` may not be served with this config; None when it may."""
    if is_loopback(host) or config.settings.web.token:
        return None
    return (
        f"--host {host}: not a loopback address; set settings.web.token "
        "(e.g. web: {token: ${WEB_TOKEN}}) to serve beyond this machine"
    )


def serve(config: Config, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Serve until interrupted; 2 when the address is refused."""
    problem = refusal(host, config)
    if problem is not None:
        print(f"monitor: web: {problem}", file=sys.stderr)
        return 2
    import uvicorn

    from monitor.web.app import create_app

    app = create_app(config)
    where = f"[{host.strip('[]')}]" if ":" in host else host
    log.info("web_serving", url=f"http://{where}:{port}/", token=bool(config.settings.web.token))
    uvicorn.run(
        app,
        host=host.strip("[]"),
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )
    return 0
