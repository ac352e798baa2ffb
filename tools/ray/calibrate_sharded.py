#!/usr/bin/env python3
"""Calibrate an Objective Monitor scenario as N shards on Ray, then merge.

Each shard is one Ray task that runs the objective-monitor CLI on its slice of the calibration
seeds (`calibrate --shard I/N`) and returns the partial file's bytes; the driver writes the partials
and runs `objective-monitor merge`, which gives the same calibration a single machine computes from
the same seeds. Ray only schedules the N processes: there is no other logic here.

  python3 tools/ray/calibrate_sharded.py SCENARIO --shards 4 -o CAL.json [--agent aligned]
  python3 tools/ray/calibrate_sharded.py SCENARIO --shards 100 --address ray://head:10001 -o CAL.json

Without --address it starts a local Ray instance (ray.init()). On a cluster, every node needs the
CLI (`--cli`, default: node and dist/cli.js of this checkout) and the scenario at the same path;
partials travel back through Ray, so no shared file system is needed. Arguments after `--` go to
each shard's `calibrate` unchanged (e.g. -- --workers 1 --alpha 0.01).
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CLI = f"node {shlex.quote(os.path.join(HERE, '..', '..', 'dist', 'cli.js'))}"


def run_shard(cli, scenario, agent, index, count, extra, cwd, traces):
    """One shard: the CLI on seeds slice index/count; returns (index, partial bytes, log). Its
    calibration traces stay on the node that ran it, under `traces` (the CLI's --out)."""
    with tempfile.TemporaryDirectory(prefix=f"om-shard-{index}-") as tmp:
        partial = os.path.join(tmp, f"shard-{index}-of-{count}.partial.json")
        cmd = shlex.split(cli) + ["calibrate", scenario, "--shard", f"{index}/{count}", "-o", partial]
        if traces:
            cmd += ["--out", traces]
        if agent:
            cmd += ["--agent", agent]
        cmd += extra
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"shard {index}/{count} failed (exit {r.returncode}): {' '.join(cmd)}\n{r.stderr.strip()}")
        with open(partial, "rb") as f:
            return index, f.read(), r.stdout


def start(ray, address):
    """ray.init, tried again when a local instance does not come up in time: Ray gives its raylet a
    fixed 30 s to register, which a busy machine can miss on the first try."""
    for attempt in range(3):
        try:
            if address:
                ray.init(address=address)
            else:
                ray.init(include_dashboard=False)
            return
        except Exception as e:  # Ray raises a bare Exception for the start-up timeout
            ray.shutdown()
            if address or attempt == 2:
                raise
            sys.stderr.write(f"ray.init failed ({e}); trying again\n")


def main(argv):
    extra = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1:]
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("scenario", help="NAME.scenario.json (a path every node can read) or a built-in name")
    p.add_argument("--shards", type=int, required=True, help="N: the calibration seeds are split into N contiguous parts")
    p.add_argument("-o", "--output", required=True, help="where the merged calibration file goes")
    p.add_argument("--agent", help="the agent to calibrate (an agent named in the scenario, or a module)")
    p.add_argument("--address", help="a Ray cluster (ray://HOST:10001 or auto); default: a local Ray instance")
    p.add_argument("--cli", default=os.environ.get("OBJECTIVE_MONITOR_CLI", DEFAULT_CLI),
                   help="the command that runs objective-monitor on every node (default: node dist/cli.js of this checkout)")
    p.add_argument("--out", help="each shard's output folder for its traces, on its node (the CLI's --out; default .objective-monitor)")
    p.add_argument("--partials", help="keep the partial files in this folder (default: a temporary one)")
    p.add_argument("--cpus-per-shard", type=float, default=1, help="Ray CPUs reserved per shard task (default 1)")
    a = p.parse_args(argv)
    if a.shards < 1:
        p.error("--shards must be at least 1")

    import ray  # imported here so that --help works without Ray

    cwd = os.getcwd()
    scenario = os.path.abspath(a.scenario) if os.path.exists(a.scenario) else a.scenario
    start(ray, a.address)
    try:
        task = ray.remote(num_cpus=a.cpus_per_shard)(run_shard)
        refs = [task.remote(a.cli, scenario, a.agent, i, a.shards, extra, cwd, a.out and os.path.abspath(a.out)) for i in range(1, a.shards + 1)]
        results = ray.get(refs)
    finally:
        ray.shutdown()

    folder = a.partials or tempfile.mkdtemp(prefix="om-partials-")
    os.makedirs(folder, exist_ok=True)
    files = []
    for index, data, log in sorted(results):
        f = os.path.join(folder, f"shard-{index}-of-{a.shards}.partial.json")
        with open(f, "wb") as out:
            out.write(data)
        files.append(f)
        sys.stderr.write(log)
    merge = shlex.split(a.cli) + ["merge", *files, "-o", os.path.abspath(a.output)]
    r = subprocess.run(merge, cwd=cwd)
    return r.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
