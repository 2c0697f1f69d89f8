"""``cnnlab``: the command line of CNN Lab (no Streamlit needed)."""
from __future__ import annotations

import argparse
import sys


def _bar(name: str, done: int, total: int | None) -> None:
    if total:
        width = 30
        k = int(width * done / total)
        sys.stderr.write(f"\r  {name:<20} [{'#' * k}{'.' * (width - k)}] {done / 2**20:6.1f}/{total / 2**20:.1f} MB")
    else:
        sys.stderr.write(f"\r  {name:<20} {done / 2**20:6.1f} MB")
    sys.stderr.flush()


def cmd_prefetch(args: argparse.Namespace) -> int:
    from . import zoo

    if zoo.offline() and not args.verify:
        print("CNNLAB_OFFLINE=1 is set: unset it to download weights.", file=sys.stderr)
        return 2
    print(f"{'Checking and downloading' if args.verify else 'Downloading'} pretrained weights into "
          f"{zoo.torch_hub_checkpoints()} (torchvision) and {zoo.weights_dir()} (ultralytics)")
    results = zoo.prefetch(args.models or None, progress=_bar, timeout=args.timeout, verify=args.verify)
    sys.stderr.write("\n")
    failed = 0
    for name, how in results.items():
        print(f"  {name:<20} {how}")
        failed += how.startswith(("failed", "damaged"))
    print("All weights are in place: the lab can now run offline." if not failed
          else f"{failed} model(s) could not be fetched; the lab will use bundled fallbacks for them.")
    if not args.models:                      # the whole lab: UMAP's compiled code too
        from .embeddings import project

        project.warm_up_umap(block=True)
        st = project.umap_status()
        print(f"UMAP's numba code compiled into {project.numba_cache_dir()} ({st['seconds']:.0f} s)"
              if st["ready"] else f"UMAP could not be prepared: {st['error']}")
    return 1 if failed else 0


def cmd_info(args: argparse.Namespace) -> int:
    from . import zoo
    from .devices import device_info

    print(f"device:   {device_info()}")
    print(f"offline:  {zoo.offline()}")
    print(f"caches:   {zoo.torch_hub_checkpoints()} | {zoo.weights_dir()}")
    for e in zoo.entries():
        print(f"  {e.name:<20} {e.task:<15} {e.cache_state():<11} {e.title}")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from . import zoo
    from .devices import pick_device
    from .images import load_image

    try:
        image = load_image(args.image)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        lm = _model(args, pick_device())
    except (ValueError, zoo.ModelUnavailable) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(lm.provenance)
    for idx, label, p in lm.classify(image, topk=args.top):
        print(f"  {p:6.3f}  {idx:4d}  {label}")
    return 0


def _model(args: argparse.Namespace, device: str):
    """``--model``: a zoo name, a model file (state dict with ``--arch``, TorchScript, ONNX) or a
    torchvision / timm architecture name (your own model)."""
    from pathlib import Path

    from . import zoo

    if args.model in zoo.ENTRIES or args.model in zoo.ALIASES:
        return zoo.load(args.model, device=device)
    if Path(args.model).is_file():
        return zoo.from_file(args.model, arch=args.arch, labels=args.labels, device=device)
    return zoo.from_name(args.model, device=device, labels=args.labels)


def cmd_precompute(args: argparse.Namespace) -> int:
    from . import precompute
    from .devices import pick_device

    unknown = [k for k in args.kinds if k not in precompute.JOBS]
    if unknown:
        print(f"Unknown kind {', '.join(unknown)}; choose from {', '.join(precompute.JOBS)}.")
        return 2
    print(f"Preparing slow views into {precompute.store_dir()} (what ships in "
          f"{precompute.shipped_dir()} is not computed again)")
    report = precompute.run(args.kinds or None, progress=lambda m: print("  " + m, flush=True),
                            device=pick_device(), force=args.force)
    for label, how in report.items():
        print(f"  {label:<40} {how}")
    return 1 if any(how.startswith(("not saved", "skipped")) for how in report.values()) else 0


def cmd_train_style(args: argparse.Namespace) -> int:
    from .style import train_style_main

    return train_style_main(args.rest)


def cmd_serve(args: argparse.Namespace) -> int:
    """Start (or join) a Ray cluster, deploy the jobs and classifier, print the endpoint, block."""
    import signal
    import time

    def stop(signum, frame):                 # SIGTERM (docker stop, systemd) stops it like Ctrl-C
        raise KeyboardInterrupt

    try:
        import ray
        from ray import serve

        from .serve import deployments
    except ImportError as e:
        print(f"error: Ray Serve is not installed ({e}); pip install -e '.[serve]'", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, stop)
    if args.address:
        ray.init(address=args.address)
    else:
        ray.init(num_cpus=args.num_cpus, include_dashboard=False)
    try:
        endpoint = deployments.deploy(
            host=args.host, port=args.port, job_replicas=args.job_replicas,
            jobs_per_replica=args.jobs_per_replica, classifier_replicas=args.classifier_replicas,
            model=args.model, cpus_per_replica=args.cpus, gpus_per_replica=args.gpus,
            env=bool(args.address))
        print(f"CNN Lab jobs are served at {endpoint} (jobs: POST /jobs, batched classify: POST /classify).")
        print("Run the app with it:", flush=True)
        print(f"  CNNLAB_JOBS={endpoint} streamlit run dashboard/app.py", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("Stopping the deployments.", flush=True)
        return 0
    finally:
        serve.shutdown()
        ray.shutdown()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cnnlab", description="CNN Lab command line.")
    sub = p.add_subparsers(dest="cmd", required=True)
    pf = sub.add_parser("prefetch", help="download every pretrained weight for offline use")
    pf.add_argument("models", nargs="*", help="only these zoo entries (default: all)")
    pf.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a server")
    pf.add_argument("--verify", action="store_true",
                    help="re-check every cached file against its hash; download damaged ones again")
    pf.set_defaults(func=cmd_prefetch)
    pi = sub.add_parser("info", help="device, caches and which weights are present")
    pi.set_defaults(func=cmd_info)
    pc = sub.add_parser("classify", help="classify an image with a zoo model")
    pc.add_argument("image")
    pc.add_argument("--model", default="imagenet",
                    help="a zoo model, a model file (.pt/.pth/.safetensors state dict with --arch, "
                         "TorchScript, ONNX) or a torchvision / timm architecture name")
    pc.add_argument("--arch", default=None, help="the architecture a state-dict file fills (e.g. resnet18)")
    pc.add_argument("--labels", default=None, help="a .txt (one name a line) or .json labels file")
    pc.add_argument("--top", type=int, default=5)
    pc.set_defaults(func=cmd_classify)
    pp = sub.add_parser("precompute", help="prepare the slow views' results (DeepDream, style "
                                           "transfer, ...) ahead of a talk")
    pp.add_argument("kinds", nargs="*", help="only these kinds (default: all): deepdream, classvis, "
                                             "inversion, saliency, texture, transfer, sweep")
    pp.add_argument("--force", action="store_true", help="compute again what is already prepared")
    pp.set_defaults(func=cmd_precompute)
    ps = sub.add_parser("serve", help="run heavy jobs and batched classification on Ray Serve "
                                      "(set CNNLAB_JOBS in the app to the endpoint it prints)")
    ps.add_argument("--address", default=None, help="an existing Ray cluster (default: start a local one)")
    ps.add_argument("--num-cpus", type=int, default=None, help="CPUs for the local Ray (default: all)")
    ps.add_argument("--host", default="127.0.0.1", help="where Serve's HTTP proxy listens (0.0.0.0: all)")
    ps.add_argument("--port", type=int, default=8000)
    ps.add_argument("--job-replicas", type=int, default=1, help="replicas running heavy jobs")
    ps.add_argument("--jobs-per-replica", type=int, default=1, help="jobs one replica runs at once")
    ps.add_argument("--classifier-replicas", type=int, default=1)
    ps.add_argument("--model", default="imagenet", help="the zoo classifier the batched endpoint runs")
    ps.add_argument("--cpus", type=float, default=1.0, help="CPUs each replica reserves")
    ps.add_argument("--gpus", type=float, default=0.0, help="GPUs each replica reserves (1: one GPU each)")
    ps.set_defaults(func=cmd_serve)
    pt = sub.add_parser("train-style", add_help=False,
                        help="train a fast style-transfer network: STYLE_IMAGE --content-dir DIR ...")
    pt.add_argument("rest", nargs=argparse.REMAINDER)
    pt.set_defaults(func=cmd_train_style)
    args = p.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
