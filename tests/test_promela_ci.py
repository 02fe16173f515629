"""`.ci/run`'s SPIN step installs what pan.c needs and proves gcc can build it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .spin_support import needs_spin

CI_RUN = Path(__file__).parent.parent / ".ci" / "run"


def spin_step() -> str:
    text = CI_RUN.read_text(encoding="utf-8")
    found = re.search(r'^step "SPIN and gcc.*?(?=^step )', text, re.MULTILINE | re.DOTALL)
    assert found is not None
    return found.group(0)


def test_the_spin_step_installs_the_c_headers_gcc_only_recommends() -> None:
    # apt-get runs with --no-install-recommends, and gcc only recommends
    # libc6-dev, the package of the stdio.h that pan.c includes.
    step = spin_step()
    assert "--no-install-recommends" in step
    assert "[[ -e /usr/include/stdio.h ]] || need+=(libc6-dev)" in step


def test_the_spin_step_compiles_a_c_program_as_a_smoke_check(tmp_path: Path) -> None:
    needs_spin()
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "apt-get").write_text("#!/bin/sh\necho apt-get must not run >&2; exit 9\n")
    (stub / "apt-get").chmod(0o755)
    script = "set -euo pipefail\nstep() { printf '==> %s\\n' \"$*\"; }\n" + spin_step()
    env = {**os.environ, "PATH": f"{stub}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[-1] == "gcc: ok"
