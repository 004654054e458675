"""scripts/slurm/featurize_array.sh: the sbatch commands it prints and submits (light)."""
import os
import stat
import subprocess

from conftest import REPO

SCRIPT = os.path.join(REPO, "scripts", "slurm", "featurize_array.sh")


def fake(path, body):
    with open(path, "w") as f:
        f.write("#!/usr/bin/env bash\n" + body)
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)


def sh(args, env=None, cwd=None):
    return subprocess.run(["bash", SCRIPT] + args, capture_output=True, text=True, env=env, cwd=cwd)


def test_dry_run_prints_the_array_and_the_dependent_merge():
    r = sh(["--shards", "4", "--partition", "cpu", "--cpus", "8", "--time", "01:00:00", "--max_parallel", "2",
            "--dry-run", "--", "--dataset", "batvisionv2", "--manifest", "data/my manifest.json",
            "--images_size", "64"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    array = next(x for x in lines if x.startswith("ARRAY_JOB=$(sbatch"))
    merge = next(x for x in lines if x.startswith("sbatch") and "batvision-merge" in x)
    assert "--array=0-3%2" in array and "--cpus-per-task=8" in array and "--partition=cpu" in array
    assert "--time=01:00:00" in array and "--parsable" in array
    assert "--shard \\${SLURM_ARRAY_TASK_ID}/4" in array
    assert "--manifest 'data/my manifest.json' --images_size 64" in array
    assert "--dependency=afterok:$ARRAY_JOB" in merge and "merge --cache" in merge and "--print_cache_dir" in merge
    assert "--cpus-per-task" not in merge and lines.index(merge) > lines.index(array)


def test_dry_run_commands_run_the_right_shards(tmp_path):
    """Executes the printed commands with a fake sbatch that runs each --wrap like Slurm
    would (every array task, then the merge) and a fake batvision that logs its calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    fake(bin_dir / "batvision", f'echo "$*" >> {log}\n'
                                f'case " $* " in *" --print_cache_dir "*) echo /cache/batvisionv2/abc123 ;; esac\n')
    fake(bin_dir / "sbatch", f'''wrap=""; array=""
for a in "$@"; do case "$a" in --wrap=*) wrap="${{a#--wrap=}}" ;; --array=*) array="${{a#--array=}}" ;; esac; done
echo "sbatch $*" >> {tmp_path}/sbatch.log
if [ -n "$array" ]; then
  last=${{array#0-}}; last=${{last%%%*}}
  for k in $(seq 0 "$last"); do SLURM_ARRAY_TASK_ID=$k bash -c "$wrap"; done
  echo 4242
else
  bash -c "$wrap"; echo 4243
fi
''')
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    r = sh(["--shards", "3", "--batvision", str(bin_dir / "batvision"), "--dry-run", "--", "--dataset", "batvisionv1",
            "--manifest", "m.json"], env=env)
    assert r.returncode == 0, r.stderr
    s = subprocess.run(["bash", "-e", "-c", r.stdout], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert s.returncode == 0, s.stderr
    calls = log.read_text().splitlines()
    assert calls[:3] == [f"featurize --dataset batvisionv1 --manifest m.json --quiet --shard {k}/3" for k in range(3)]
    assert calls[3] == "featurize --dataset batvisionv1 --manifest m.json --print_cache_dir"
    assert calls[4] == "merge --cache /cache/batvisionv2/abc123" and len(calls) == 5
    assert "--dependency=afterok:4242" in (tmp_path / "sbatch.log").read_text()

    # Without --dry-run: the same two submissions, the merge after the array's job id.
    (tmp_path / "sbatch.log").unlink()
    r = sh(["--shards", "3", "--batvision", str(bin_dir / "batvision"), "--copy", "--log_dir", str(tmp_path / "logs"),
            "--", "--dataset", "batvisionv1", "--manifest", "m.json"], env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "array job 4242 (3 tasks) and merge job 4243" in r.stdout
    subs = (tmp_path / "sbatch.log").read_text().splitlines()
    assert len(subs) == 2 and "--array=0-2" in subs[0] and "--dependency=afterok:4242" in subs[1]
    assert log.read_text().splitlines()[-1] == "merge --cache /cache/batvisionv2/abc123 --copy"
    assert (tmp_path / "logs").is_dir()


def test_usage_errors_exit_64():
    assert sh(["--dry-run", "--", "--dataset", "batvisionv1"]).returncode == 64
    assert sh(["--shards", "2", "--dry-run", "--", "--manifest", "m.json"]).returncode == 64
    assert sh(["--shards", "x", "--dry-run", "--", "--dataset", "batvisionv1"]).returncode == 64
    assert sh(["--bogus"]).returncode == 64
