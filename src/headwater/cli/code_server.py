"""`headwater code-server start`: serve one code location over the network.

    headwater code-server start -f defs.py -h 0.0.0.0 -p 4000 --token-file token.txt
    headwater code-server start -m pkg.defs -d /srv/app -p 4000 --tls-cert c.pem --tls-key k.pem

A webserver or daemon on another machine reaches it through a `grpc_server:` entry of
workspace.yaml (docs/code-locations.md). The shared token comes from --token-file or
$HEADWATER_CODE_SERVER_TOKEN; it is required unless the server listens on a loopback address
only. Imports `code` inside the command.
"""

from __future__ import annotations

import os

import click

#: read when --token-file is not given (the same variable as code.remote.TOKEN_ENV, which its
#: clients read; spelled here so that --help imports nothing of `code`)
TOKEN_ENV = "HEADWATER_CODE_SERVER_TOKEN"


def _read_token(token_file: str | None) -> str | None:
    if token_file is None:
        return os.environ.get(TOKEN_ENV, "").strip() or None
    try:
        with open(token_file, encoding="utf-8") as f:
            token = f.read().strip()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {token_file}: {exc.strerror}.",
                                 param_hint="--token-file") from None
    if not token:
        raise click.BadParameter(f"{token_file} is empty: write the shared token in it.",
                                 param_hint="--token-file")
    return token


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.group("code-server", help="Serve a code location to webservers and daemons over the "
                                  "network.")
def code_server() -> None:
    pass


@code_server.command("start")
@click.option("-f", "--python-file", help="Python file holding Definitions.")
@click.option("-m", "--module-name", help="Module holding Definitions.")
@click.option("-d", "--working-directory", help="Directory to import from.")
@click.option("-a", "--attribute", help="Name of the Definitions object.")
@click.option("--location-name", help="The location's name (default: the file's or module's).")
@click.option("-h", "--host", default="127.0.0.1", show_default=True,
              help="Address to bind (0.0.0.0 for every interface).")
@click.option("-p", "--port", type=click.IntRange(0, 65535), required=True,
              help="Port to listen on (0: any free port, printed at start).")
@click.option("--token-file", type=click.Path(dir_okay=False), default=None,
              help=f"Read the shared token from this file (else ${TOKEN_ENV}).")
@click.option("--tls-cert", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Serve HTTPS with this PEM certificate (chain); needs --tls-key.")
@click.option("--tls-key", type=click.Path(dir_okay=False, exists=True), default=None,
              help="The PEM private key of --tls-cert.")
def start(python_file: str | None, module_name: str | None, working_directory: str | None,
          attribute: str | None, location_name: str | None, host: str, port: int,
          token_file: str | None, tls_cert: str | None, tls_key: str | None) -> None:
    """Load the code location and answer its calls over HTTP(S) until Ctrl-C."""
    from headwater.code.location import CodeLocationOrigin
    from headwater.code.network import NetworkCodeServer, serve_forever, tls_context

    if not python_file and not module_name:
        raise click.UsageError("Say where the Definitions are: -f defs.py or -m pkg.defs.")
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("TLS needs both --tls-cert and --tls-key.")
    token = _read_token(token_file)
    if token is None and not _is_loopback(host):
        raise click.UsageError(
            f"A code server listening on {host} runs calls for anyone who reaches it: give it "
            f"a shared token with --token-file FILE or {TOKEN_ENV} (and the same token to "
            "its clients in workspace.yaml).")
    try:
        tls = tls_context(tls_cert, tls_key) if tls_cert and tls_key else None
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"cannot use {tls_cert} / {tls_key}: {exc}.",
                                 param_hint="--tls-cert/--tls-key") from None
    origin = CodeLocationOrigin(python_file, module_name, working_directory, attribute,
                                location_name)
    try:
        server = NetworkCodeServer(origin, host, port, token=token, tls=tls)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                                   "pick another port with -p.") from None
    try:
        serve_forever(server, lambda line: click.echo(line, err=True))
    except KeyboardInterrupt:
        pass
