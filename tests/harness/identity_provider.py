"""A real OpenID Connect provider on loopback for the tests (node's oidc-provider), standing in
for a country's national digital-ID service: tests/identity/provider/provider.mjs."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from joserfc.jwk import RSAKey

from tests.harness.servers import ROOT, Server, free_port, wait_for_port

PROVIDER_DIR = ROOT / "tests" / "identity" / "provider"


@dataclass
class IdentityProvider:
    server: Server
    issuer: str
    client_id: str
    client_secret: str

    def tamper_next_token(self, mode: str) -> None:
        """Make the provider's next token answer carry a doctored ID token (provider.mjs)."""
        httpx.post(f"{self.issuer}/__test__/tamper", json={"mode": mode}).raise_for_status()

    def settings(self, country: str, **names: str) -> dict[str, dict[str, str]]:
        """The DIGITAL_ID_PROVIDERS entry that points the site at this provider."""
        return {
            country: {
                "issuer": self.issuer,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "name_en": names.get("name_en", "Nafath"),
                "name_ar": names.get("name_ar", "نفاذ"),
                "scopes": "openid profile national_id",
                "national_id_claim": "national_id",
                "name_claim": "name",
                "birthdate_claim": "birthdate",
            }
        }


@contextmanager
def identity_provider(
    people: dict[str, dict[str, str]], redirect_uris: list[str], log_dir: Path
) -> Iterator[IdentityProvider]:
    """Start the provider with these people (sub → national_id, name, birthdate) and one client
    allowed to return to `redirect_uris`; stop it afterwards."""
    node = shutil.which("node")
    if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
        raise RuntimeError(
            "the test identity provider needs node and `npm ci --prefix tests/identity/provider`"
            " (scripts/bootstrap.sh test-deps)"
        )
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    key = RSAKey.generate_key(2048, parameters={"kid": f"test-{port}", "use": "sig"})
    config = {
        "issuer": issuer,
        "port": port,
        "jwk": {**key.as_dict(private=True), "alg": "RS256"},
        "clients": [
            {
                "client_id": "mazad-test",
                "client_secret": "mazad-test-secret-0123456789abcdef",
                "redirect_uris": redirect_uris,
            }
        ],
        "people": people,
    }
    log_dir.mkdir(parents=True, exist_ok=True)
    config_path = log_dir / f"identity-provider-{port}.json"
    config_path.write_text(json.dumps(config))
    log_path = log_dir / f"identity-provider-{port}.log"
    process = subprocess.Popen(
        [node, str(PROVIDER_DIR / "provider.mjs")],
        cwd=PROVIDER_DIR,
        env={"PROVIDER_CONFIG": str(config_path), "PATH": "/usr/bin:/bin", "NODE_ENV": "test"},
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server("identity-provider", port, process, log_path)
    try:
        wait_for_port(port, process=process)
        yield IdentityProvider(server, issuer, "mazad-test", "mazad-test-secret-0123456789abcdef")
    finally:
        server.stop()
        config_path.unlink(missing_ok=True)
