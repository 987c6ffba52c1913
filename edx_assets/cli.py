"""The `edx-assets` command: the local stack, the sample delivery, the demo run and the dev UI."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

from edx_assets.local.stack import LOCAL_AWS_KEY, LOCAL_AWS_SECRET, LocalStack, StackError


def _stack(args: argparse.Namespace) -> LocalStack:
    return LocalStack.from_env(Path(args.home) if getattr(args, "home", None) else None)


def _up(stack: LocalStack) -> dict[str, str]:
    env = stack.up()
    os.environ.update(env)
    return env


def cmd_local(args: argparse.Namespace) -> int:
    stack = _stack(args)
    if args.action == "up":
        _up(stack)
        for name, state in stack.status().items():
            print(f"{name}: {state}")
        print(f"env: source {stack.env_file}")
    elif args.action == "down":
        stopped = stack.down()
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    else:
        for name, state in stack.status().items():
            print(f"{name}: {state}")
    return 0


def _spec(args: argparse.Namespace):
    from edx_assets.config import EdxConfig
    from edx_assets.local.sample_world import SampleSpec

    defaults, config = SampleSpec(), EdxConfig.from_env()
    return SampleSpec(
        org=(args.org or config.org).lower(),
        site=config.site,
        start=date.fromisoformat(args.start) if args.start else defaults.start,
        end=date.fromisoformat(args.end) if args.end else defaults.end,
        seed=args.seed,
        learners=args.learners,
        courses=args.courses,
        events_per_day=args.events_per_day,
        retired_by_edx=tuple(int(i) for i in args.retired_by_edx.split(",") if i.strip()),
    )


def generate_sample(stack: LocalStack, spec, log=print):
    """Generate the sample delivery of `spec` into the local S3 endpoint; returns the Delivery."""
    import boto3

    from edx_assets.config import EdxConfig
    from edx_assets.local.sample import generate_delivery, s3_uploader, save_manifest

    settings = EdxConfig.from_env()
    client = boto3.client("s3", endpoint_url=stack.s3_endpoint, region_name="us-east-1",
                          aws_access_key_id=LOCAL_AWS_KEY, aws_secret_access_key=LOCAL_AWS_SECRET)
    delivery = generate_delivery(
        spec, stack.public_key_file.read_text(), s3_uploader(client),
        events_bucket=settings.events_bucket, courses_bucket=settings.courses_bucket, log=log,
    )
    save_manifest(delivery, stack.home / "sample-manifest.json")
    return delivery


def cmd_sample(args: argparse.Namespace) -> int:
    stack = _stack(args)
    _up(stack)
    delivery = generate_sample(stack, _spec(args))
    print(f"{len(delivery.event_keys)} event logs and {len(delivery.package_keys)} packages delivered; "
          f"ground truth in {stack.home / 'sample-manifest.json'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    stack = _stack(args)
    _up(stack)
    spec = _spec(args)
    print(f"local stack up ({stack.home}); generating the sample delivery for org {spec.org} "
          f"from {spec.start} to {spec.end}")
    delivery = generate_sample(stack, spec, log=lambda _m: None)
    from edx_assets.config import EdxConfig
    from edx_assets.local.demo import run_demo

    # The code location (the runs' processes, `make dev`) reads the environment: the partitions start with
    # the sample's first day unless the user chose otherwise.
    os.environ.setdefault("EDX_PARTITIONS_START", spec.start.isoformat())
    return run_demo(stack, EdxConfig.from_env(), sorted(delivery.event_keys), sorted(delivery.package_keys))


def cmd_dev(args: argparse.Namespace) -> int:
    stack = _stack(args)
    env = {**os.environ, **_up(stack)}
    bin_dir = Path(sys.executable).parent
    daemon_log = (stack.log_dir / "dagster-daemon.log").open("ab")
    daemon = subprocess.Popen([str(bin_dir / "dagster-daemon"), "run", "-w", "workspace.yaml"], env=env,
                              stdin=subprocess.DEVNULL, stdout=daemon_log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    print(f"Dagster UI on http://{args.host}:{args.port} (daemon log: {stack.log_dir / 'dagster-daemon.log'});"
          " Ctrl-C stops the UI and the daemon; `make down` stops MongoDB and S3.")
    try:
        # A shell started in the background ignores SIGINT; restore it so Ctrl-C/SIGTERM stop the UI.
        web = subprocess.Popen([str(bin_dir / "dagster-webserver"), "-h", args.host, "-p", str(args.port),
                                "-w", "workspace.yaml"], env=env, stdin=subprocess.DEVNULL,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        signal.signal(signal.SIGTERM, lambda *_: web.terminate())
        return web.wait()
    except KeyboardInterrupt:
        web.terminate()
        return web.wait()
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            daemon.kill()


def cmd_backfill(args: argparse.Namespace) -> int:
    from edx_assets.config import EdxConfig
    from edx_assets.local.backfill import run_backfill

    stack = _stack(args)
    _up(stack)
    try:
        summary = run_backfill(EdxConfig.from_env(), date.fromisoformat(args.first), date.fromisoformat(args.last),
                               job=args.job, concurrency=args.concurrency,
                               log_path=stack.log_dir / "backfill-runs.log")
    except ValueError as exc:
        print(f"edx-assets backfill: {exc}", file=sys.stderr)
        return 2
    return 1 if summary.failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edx-assets", description=__doc__)
    parser.add_argument("--home", help="local stack folder (default: EDX_LOCAL_HOME or ./.edx-local)")
    sub = parser.add_subparsers(dest="command", required=True)

    local = sub.add_parser("local", help="start, stop or inspect the embedded local stack")
    local.add_argument("action", choices=["up", "down", "status"])
    local.set_defaults(func=cmd_local)

    for name, func, text in (
        ("sample", cmd_sample, "generate a sample delivery into the local S3"),
        ("demo", cmd_demo, "local stack + sample delivery + materialize every asset"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--org", default=None)
        p.add_argument("--start", default=None, help="first day (YYYY-MM-DD)")
        p.add_argument("--end", default=None, help="last day (YYYY-MM-DD)")
        p.add_argument("--seed", type=int, default=7)
        p.add_argument("--learners", type=int, default=600)
        p.add_argument("--courses", type=int, default=4)
        p.add_argument("--events-per-day", type=int, default=600)
        p.add_argument("--retired-by-edx", default="", help="user ids edX has retired in the packages (1,2)")
        p.set_defaults(func=func)

    backfill = sub.add_parser("backfill", help="load a range of days through a Dagster backfill")
    backfill.add_argument("--from", dest="first", required=True, help="first day (YYYY-MM-DD)")
    backfill.add_argument("--to", dest="last", required=True, help="last day (YYYY-MM-DD)")
    backfill.add_argument("--job", default="daily_events_job")
    backfill.add_argument("--concurrency", type=int, default=2, help="runs at once (default 2)")
    backfill.set_defaults(func=cmd_backfill)

    dev = sub.add_parser("dev", help="the Dagster UI and daemon over the local stack")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=cmd_dev)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except StackError as exc:
        print(f"edx-assets: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
