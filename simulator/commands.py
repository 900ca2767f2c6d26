"""``flask fast simulate`` and ``flask fast demo``: the simulator's command line."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from simulator import transcript
from simulator.bodies import ItemRef
from simulator.local import ServerError, local_server
from simulator.scenarios import MAIN, NEW_YORK, PARIS, SCENARIOS, Params
from simulator.signing import SANDBOX_PRIVATE_KEY, SigningError, make_signer
from simulator.simulate import Plan, SetupError, choose_dialects, choose_scenarios, preflight, simulate

SCENARIO_HELP = "Scenario to run (repeatable), or 'all': " + ", ".join(s.name for s in SCENARIOS) + "."


def _item(ctx: click.Context, param: click.Parameter, value: str) -> ItemRef:
    try:
        return ItemRef.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _address(ctx: click.Context, param: click.Parameter, value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        text = Path(value[1:]).read_text() if value.startswith("@") else value
    except OSError as exc:
        raise click.BadParameter(f"cannot read {value[1:]}: {exc.strerror}") from None
    try:
        address = json.loads(text)
    except ValueError:
        raise click.BadParameter("give a JSON object (Fast's v1OrderAddress) or @file.json") from None
    if not isinstance(address, dict):
        raise click.BadParameter("the address must be a JSON object")
    return address


def scenario_options(func: Any) -> Any:
    """The options shared by simulate and demo: what to buy, with which coupons, where to."""
    options = [
        click.option("--scenario", "scenario_names", multiple=True, help=SCENARIO_HELP),
        click.option(
            "--dialect",
            type=click.Choice(["both", "openapi", "seeds"]),
            default="both",
            show_default=True,
            help="Request dialect: Fast's OpenAPI shapes, the developer guide's (seeds), or each scenario in both.",
        ),
        click.option(
            "--product",
            default="1001",
            show_default=True,
            callback=_item,
            help="What the shopper buys: PRODUCT, PRODUCT:VARIANT, PRODUCT?opt=val&opt=val or item=ITEM_ID.",
        ),
        click.option(
            "--second-product",
            default="2001:2001-BLK-M",
            show_default=True,
            callback=_item,
            help="The item added later (batching, quantities, retries); same forms as --product.",
        ),
        click.option("--coupon", default="SAVE10", show_default=True, help="A coupon the shop accepts."),
        click.option("--bad-coupon", default="SUMMER2020", show_default=True, help="A coupon the shop refuses."),
        click.option("--address", callback=_address, help="Ship-to/bill-to address: JSON or @file (default: NY, US)."),
        click.option(
            "--unshippable-address",
            callback=_address,
            help="An address the shop does not ship to: JSON or @file (default: Paris, FR).",
        ),
        click.option(
            "--storefront-cart",
            help="Id of a cart made in the shop's own storefront (the storefront-cart scenario deletes it).",
        ),
        click.option("--no-repeat", is_flag=True, help="Do not repeat each call with the same request_id."),
        click.option("--json", "json_path", help="Write a machine-readable report to this file ('-': stdout)."),
        click.option("--quiet", is_flag=True, help="A progress bar and the summary instead of the transcript."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _params(kw: dict[str, Any]) -> Params:
    return Params(
        product=kw["product"],
        second_product=kw["second_product"],
        coupon=kw["coupon"],
        bad_coupon=kw["bad_coupon"],
        address=kw["address"] or dict(NEW_YORK),
        unshippable_address=kw["unshippable_address"] or dict(PARIS),
        storefront_cart=kw["storefront_cart"],
    )


def _execute(url: str, app_id: str, signer: Any, kw: dict[str, Any]) -> int:
    """Run the plan, print the transcript and summary, write the report; the exit code."""
    try:
        plan = Plan(
            url=url,
            app_id=app_id,
            scenarios=choose_scenarios(kw["scenario_names"]),
            dialects=choose_dialects(kw["dialect"]),
            params=_params(kw),
            signer=signer,
            repeat=not kw["no_repeat"],
        )
        preflight(url)
    except SetupError as exc:
        raise click.ClickException(str(exc)) from None
    to_stderr = kw["json_path"] == "-"
    started = time.time()
    if kw["quiet"]:
        with click.progressbar(length=plan.runs, label="scenarios", file=sys.stderr) as bar:
            results = simulate(plan, transcript.Quiet(bar))
    else:
        runs = transcript.plural(plan.runs, "scenario run")
        click.echo(f"Simulating Fast against {url} (app_id {app_id!r}): {runs}", err=to_stderr)
        results = simulate(plan, transcript.Transcript(err=to_stderr))
    transcript.print_summary(results, err=to_stderr)
    if kw["json_path"]:
        data = transcript.report(
            results,
            url=url,
            app_id=app_id,
            signed_with=signer.source if signer else None,
            started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            seconds=round(time.time() - started, 3),
        )
        text = transcript.dumps(data)
        if to_stderr:
            click.echo(text, nl=False)
        else:
            Path(kw["json_path"]).write_text(text)
            click.echo(f"report written to {kw['json_path']}")
    return 0 if all(transcript.outcome(r) != "failed" for r in results) else 1


@click.command("simulate")
@click.option("--url", required=True, envvar="FAST_SIMULATE_URL", help="The deployment's base URL.")
@click.option("--app-id", default="sandbox", show_default=True, help="The store's Fast app id (the token's aud).")
@scenario_options
@click.option(
    "--private-key", help="PEM private key to sign with (default: the sandbox key, keys/sandbox-private.pem)."
)
@click.option("--kid", help="Key id in the token header (required with --private-key).")
@click.option("--issuer", help="The token's iss (default: FAST_JWT_ISSUER, else https://api.fast.co).")
def simulate_command(
    url: str, app_id: str, private_key: str | None, kid: str | None, issuer: str | None, **kw: Any
) -> None:
    """Play Fast against a deployment and check that every answer conforms.

    Runs realistic checkouts as Fast would send them, signing each call, prints a
    step-by-step transcript and a summary. Exits 1 when any check fails. It places
    and cancels orders: point it at a sandbox or staging shop, never a live one.
    """
    try:
        signer = make_signer(private_key, kid, issuer)
    except SigningError as exc:
        raise click.ClickException(str(exc)) from None
    if signer is None:
        click.echo(
            f"warning: no signing key ({SANDBOX_PRIVATE_KEY} is missing): calls are sent unsigned, which a"
            " deployment that checks Fast's signatures answers with 401.",
            err=True,
        )
    sys.exit(_execute(url, app_id, signer, kw))


@click.command("demo")
@scenario_options
def demo_command(**kw: Any) -> None:
    """Start the service on the sandbox shop on a free local port, play a checkout against it, stop it."""
    if not kw["scenario_names"]:
        kw["scenario_names"] = (MAIN,)
    if kw["dialect"] == "both" and kw["scenario_names"] == (MAIN,):
        kw["dialect"] = "openapi"
    try:
        signer = make_signer()
    except SigningError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Starting the service (gunicorn, sandbox shop) on a free local port...")
    try:
        with local_server() as server:
            click.echo(f"Service up at {server.url} (pid {server.pid}).")
            code = _execute(server.url, "sandbox", signer, kw)
    except ServerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Service stopped.")
    sys.exit(code)
