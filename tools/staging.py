"""A behave run against a staging deployment the suite does not control, started here first.

    python -m tools.staging [--without-secrets] -- python -m behave [BEHAVE OPTIONS AND PATHS]

The "deployment" is the embedded stack's pieces started as a separate process (`python -m
harness.stack --proxy --instances 2`: nginx with the shipped configuration in front of two
instances, their own PostgreSQL and Redis), so the suite sees only what it would see of a real
staging: the balancer's address, the operators' listeners, and what an operator tells the
testers (`-D service_url`, `-D operator_url`, `-D web_app`, $SIGNING_SECRET, and `-D
oidc_issuer`: the address of the test sign-in provider it trusts, on a free local port where the
suite's own provider listens). Nothing of it is in the suite's process: @fault and @embedded
scenarios skip with their reason, the others make their people, passes and usage through the
service's public interface. `--without-secrets` withholds the signing secret and the web app, as
for a deployment whose operator shares neither. A `-D oidc_issuer=...` in the command wins over
the staging's (the suite's provider elsewhere than where the staging looks: the enterprise
sign-in scenarios fail).
The stack's logs go to reports/logs/staging/; it stops when the run ends, whatever ends it.
Exit code: the command's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from harness.services import HOST, PROJECT_ROOT, StartError, free_port
from harness.stack import spawn, stop_spawned

LOG_DIR = Path("reports/logs/staging")
# The web app this staging trusts besides the stack's default page origin.
WEB_APP = "https://app.golden-path.example"
INSTANCES = 2
# A new key of the test sign-in provider is picked up within this long (the product: 60 s).
PROVIDER_KEY_REFRESH_S = 1


def deployment_options(
    described: dict[str, object], *, secrets: bool, issuer: str | None = None
) -> list[str]:
    """The -D options naming the deployment, as its operator would hand them to the testers
    (the signing secret goes in the environment: `signing_environment`); `issuer`: the test
    sign-in provider's address it trusts (not a secret: the provider publishes its keys)."""
    operators = described["operator_urls"]
    assert isinstance(operators, list)
    options = {
        "service_url": str(described["proxy_url"]),
        "operator_url": ",".join(str(url) for url in operators),
    }
    if secrets:
        options["web_app"] = WEB_APP
    if issuer is not None:
        options["oidc_issuer"] = issuer
    options["oidc_refetch_seconds"] = str(PROVIDER_KEY_REFRESH_S)
    return [part for name, value in options.items() for part in ("-D", f"{name}={value}")]


def signing_environment(described: dict[str, object], *, secrets: bool) -> dict[str, str]:
    """The environment of the run: $SIGNING_SECRET, the staging's key, unless withheld."""
    env = {key: value for key, value in os.environ.items() if key != "SIGNING_SECRET"}
    jwt = described["jwt"]
    assert isinstance(jwt, dict)
    if secrets:
        env["SIGNING_SECRET"] = str(jwt["secret"])
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.staging", description=__doc__)
    parser.add_argument("--without-secrets", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the behave command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command: python -m tools.staging -- python -m behave ...")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    issuer = f"http://{HOST}:{free_port()}"
    named = any(part.startswith("oidc_issuer=") for part in command)
    began = time.monotonic()
    with (LOG_DIR / "stack.log").open("w") as log:
        try:
            stack, described = spawn(
                [
                    "--proxy",
                    "--instances",
                    str(INSTANCES),
                    "--web-app",
                    WEB_APP,
                    "--log-dir",
                    str(LOG_DIR.resolve()),
                    "--oidc-issuer",
                    issuer,
                    "--oidc-refetch-seconds",
                    str(PROVIDER_KEY_REFRESH_S),
                ],
                log,
            )
        except StartError:
            print(f"staging: the deployment did not start; see {log.name}", file=sys.stderr)
            return 1
        try:
            print(
                f"staging: {INSTANCES} instances behind {described['proxy_url']} after "
                f"{time.monotonic() - began:.1f} s (logs: {LOG_DIR})",
                flush=True,
            )
            secrets = not args.without_secrets
            options = deployment_options(
                described, secrets=secrets, issuer=None if named else issuer
            )
            env = signing_environment(described, secrets=secrets)
            return subprocess.call([*command, *options], cwd=PROJECT_ROOT, env=env)
        finally:
            stop_spawned(stack)


if __name__ == "__main__":
    sys.exit(main())
