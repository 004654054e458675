"""scripts/device/lent_host_checks.sh's GPU checks (python -m batvision_cache.gpu_check), in
their CPU form: every check passes and the table names each; a failing check makes the
exit status 1, a start that cannot happen 2."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")

from conftest import CONF, REPO, batvision_bin, torch_env  # noqa: E402


def gpu_check(work, *flags):
    cmd = [sys.executable, "-m", "batvision_cache.gpu_check", "--device", "cpu", "--small", "--work", str(work),
           "--conf_dir", CONF] + list(flags)
    return subprocess.run(cmd, capture_output=True, text=True, env={**torch_env(), "BATVISION_BIN": batvision_bin()},
                          cwd=os.path.join(REPO, "python"))


def test_the_cpu_form_passes_and_prints_one_table(tmp_path):
    r = gpu_check(tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("GPU path checks on CPU") and lines[1].startswith("check")
    rows = lines[2:]
    names = ["parity: one step vs CPU", "ddp: torchrun smoke run", "amp: --amp bf16 run", "throughput: 4 DataLoader workers",
             "throughput: 8 DataLoader workers", "throughput: device-resident"]
    assert [row[:36].strip() for row in rows] == names and all(row[36:44].strip() == "ok" for row in rows)
    assert "loss 0.0e+00, weights 0.0e+00" in rows[0] and "2 process(es)" in rows[1]
    assert all("samples/s, data wait" in row for row in rows[3:])


def test_a_failed_check_is_exit_1_and_no_start_exit_2(tmp_path):
    r = gpu_check(tmp_path, "--epochs", "0")  # the trainer refuses 0 epochs: the throughput rows fail
    assert r.returncode == 1 and r.stdout.count("FAILED") == 3, r.stdout + r.stderr
    r = gpu_check(tmp_path / "b", "--batvision", str(tmp_path / "missing"))
    assert r.returncode == 2 and "cannot start" in r.stderr
