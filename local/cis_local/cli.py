"""`cis`: the project's command line. `cis run` serves the API locally; `cis token` mints a dev token."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from cis.topology import Role


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def _run(args: argparse.Namespace) -> int:
    from cis_local import runtime, tokens

    with runtime.backend(args.host) as backend:
        # Handlers read their configuration at import: only now is the environment complete.
        from cis.repository.factory import customer_repository
        from cis.service.customers import CustomerService

        from cis_local import demo
        from cis_local.gateway import Gateway

        loaded = 0 if args.no_demo else demo.load(CustomerService(customer_repository()))
        gateway = Gateway()
        server = gateway.serve(args.host, args.port)
        url = f"http://{args.host}:{server.server_address[1]}"
        where = "moto server mode (in memory)" if backend.embedded else backend.dynamodb_endpoint
        print(f"CIS API      {url}/v1/customers", flush=True)
        print(f"Swagger UI   {url}/docs", flush=True)
        print(f"DynamoDB     {where}, table {backend.table_name}; {loaded} demo customers loaded", flush=True)
        print("Tokens (header  Authorization: Bearer <token>), valid 12 hours:", flush=True)
        for role in Role:
            print(f"  {role:<10} {tokens.mint(role)}", flush=True)
        print(f'Try: curl -H "Authorization: Bearer $(make -s token ROLE=support)" {url}/v1/customers', flush=True)
        print("Ctrl-C stops.", flush=True)
        # Ctrl-C and `kill` both stop cleanly, even when a launcher started us with SIGINT ignored.
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            gateway.stop()
    print("stopped", flush=True)
    return 0


def _token(args: argparse.Namespace) -> int:
    from cis_local import tokens

    print(tokens.mint([Role(role) for role in args.role], subject=args.subject, ttl_s=args.hours * 3600))
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from cis_local import openapi

    if args.check:
        current = openapi.SPEC_PATH.read_text(encoding="utf-8") if openapi.SPEC_PATH.exists() else ""
        if current != openapi.generate():
            print("functions/api_docs/openapi.json is out of date: run `cis openapi`", file=sys.stderr)
            return 1
        print("openapi.json is current")
        return 0
    openapi.write()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cis", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="serve the API on 127.0.0.1 with an embedded DynamoDB (moto)")
    run.add_argument("--host", default=os.environ.get("CIS_HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("CIS_PORT", "8000")))
    run.add_argument("--no-demo", action="store_true", help="start with an empty table")
    run.set_defaults(action=_run)

    token = commands.add_parser("token", help="print a development token for the local API")
    token.add_argument("--role", action="append", choices=[str(r) for r in Role], required=True)
    token.add_argument("--subject", help="the token's sub claim (default dev-<role>)")
    token.add_argument("--hours", type=int, default=12)
    token.set_defaults(action=_token)

    spec = commands.add_parser("openapi", help="regenerate functions/api_docs/openapi.json from the models")
    spec.add_argument("--check", action="store_true", help="fail if the committed document is out of date")
    spec.set_defaults(action=_openapi)

    args = parser.parse_args(argv)
    return args.action(args)


if __name__ == "__main__":
    sys.exit(main())
