"""The sandbox's worker processes start wherever zhidu runs from, not only inside the checkout.

After engine/ gained subpackages the pool pointed its workers at engine/ instead of the folder
holding it; tests passed (pytest puts the checkout on sys.path) while `make run` failed every
script with "the sandbox running the script stopped". This runs zhidu the way its command does:
isolated, from another folder, finding the package only as installed.
"""

from __future__ import annotations

import subprocess
import sys

CODE = ("from engine.spiff.script_environment import SandboxEnvironment; "
        "print(SandboxEnvironment().evaluate('6 * 7', {}))")


def test_a_script_runs_from_outside_the_checkout(tmp_path):
    done = subprocess.run([sys.executable, "-I", "-c", CODE], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "42"
