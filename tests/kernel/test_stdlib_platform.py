"""The `platform/` folder must never shadow the standard library's `platform` module."""

import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_import_platform_from_repo_root_is_the_standard_library_module():
    # given the repository root and the project's second source root on the path
    env_path = f"{REPO}:{REPO / 'platform'}"
    # when `import platform` runs from the repository root
    out = subprocess.run(
        [sys.executable, "-c", "import platform, sys; print(platform.__file__); platform.system()"],
        cwd=REPO,
        env={"PYTHONPATH": env_path},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # then it is the standard library's file, not project code
    assert Path(out).parent == Path(sysconfig.get_paths()["stdlib"])
    assert not (REPO / "platform" / "__init__.py").exists()
