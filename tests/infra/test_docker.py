"""Checks infra/docker/Dockerfile and its .dockerignore as text (no Docker daemon needed)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest

from tests.infra.terraform_config import REPO_DIR

DOCKERFILE = REPO_DIR / "infra" / "docker" / "Dockerfile"
DOCKERIGNORE = REPO_DIR / "infra" / "docker" / "Dockerfile.dockerignore"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages() -> dict[str, list[tuple[str, str]]]:
    named: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for keyword, rest in instructions():
        if keyword == "FROM":
            current = rest.split(" AS ")[-1].strip() if " AS " in rest else rest
            named[current] = []
        elif current:
            named[current].append((keyword, rest))
    return named


def ignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    return any(
        fnmatch.fnmatch(path, pattern) or path.startswith(pattern.rstrip("/") + "/")
        for pattern in ignore_patterns()
    )


def test_image_runs_as_a_non_root_user() -> None:
    users = [rest for keyword, rest in stages()["runtime"] if keyword == "USER"]

    assert users, "the runtime stage sets no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_python_dependencies_are_installed_from_the_production_lock() -> None:
    deps = stages()["python-deps"]
    copies = [rest for keyword, rest in deps if keyword == "COPY"]
    runs = " ".join(rest for keyword, rest in deps if keyword == "RUN")

    assert any(rest.startswith("requirements/prod.lock ") for rest in copies)
    assert re.search(r"uv pip sync .*prod\.lock", runs)


def test_images_are_python_3_11_slim_and_node_for_the_widget() -> None:
    args = {
        rest.split("=")[0]: rest.split("=")[1]
        for keyword, rest in instructions()
        if keyword == "ARG" and "=" in rest
    }

    assert args["PYTHON_IMAGE"] == "python:3.11-slim"
    assert args["NODE_IMAGE"].startswith("node:")


def test_widget_is_built_from_its_package_lock() -> None:
    widget = stages()["widget"]

    assert ("COPY", "widget-cdn/package.json widget-cdn/package-lock.json ./") in widget
    assert ("RUN", "npm ci --no-audit --no-fund") in widget
    assert ("RUN", "npm run build") in widget
    assert (
        "COPY",
        "--from=widget /build/widget-cdn/dist /app/widget-cdn/dist",
    ) in stages()["runtime"]


def test_static_files_are_collected_with_the_manifest_on() -> None:
    runs = [rest for keyword, rest in stages()["runtime"] if keyword == "RUN"]

    assert any("STATIC_MANIFEST=1" in run and "collectstatic --noinput" in run for run in runs)


def test_import_path_and_default_command_are_the_web_role() -> None:
    env = " ".join(rest for keyword, rest in stages()["runtime"] if keyword == "ENV")
    (cmd,) = [rest for keyword, rest in stages()["runtime"] if keyword == "CMD"]

    assert "PYTHONPATH=/app:/app/platform" in env
    assert '"uvicorn", "messenger.asgi:application"' in cmd
    assert '"--ws", "websockets", "--ws-per-message-deflate", "false"' in cmd
    # Only TRUSTED_PROXIES decide the client address, not uvicorn's loopback default.
    assert '"--no-proxy-headers"' in cmd


@pytest.mark.parametrize(
    "path",
    [
        ".venv",
        ".data",
        ".git",
        "widget-cdn/node_modules",
        "widget-cdn/dist",
        "test-artifacts",
        ".env",
    ],
)
def test_local_state_stays_out_of_the_build_context(path: str) -> None:
    assert ignored(path)


def test_every_file_the_dockerfile_copies_is_in_the_build_context() -> None:
    sources = [
        source
        for keyword, rest in instructions()
        if keyword == "COPY" and not rest.startswith("--from")
        for source in rest.split()[:-1]
    ]

    assert sources
    for source in sources:
        if source == ".":
            continue
        assert (REPO_DIR / source).exists(), source
        assert not ignored(source.rstrip("/")), source


def test_the_secret_entrypoint_ships_in_the_image() -> None:
    entrypoint = Path("infra/docker/lockbox_env.py")

    assert (REPO_DIR / entrypoint).is_file()
    assert not ignored(str(entrypoint))


def test_the_image_carries_bytecode_for_dependencies_standard_library_and_code() -> None:
    """Processes run with PYTHONDONTWRITEBYTECODE=1 as a user who cannot write the image: the
    .pyc files must be made at build time, after the last file of the code is in place."""
    deps = stages()["python-deps"]
    deps_env = " ".join(rest for keyword, rest in deps if keyword == "ENV")
    deps_runs = " ".join(rest for keyword, rest in deps if keyword == "RUN")
    assert "UV_COMPILE_BYTECODE=1" in deps_env or re.search(
        r"uv pip sync --compile-bytecode .*prod\.lock", deps_runs
    )
    runtime = stages()["runtime"]
    compiles = [
        index
        for index, (keyword, rest) in enumerate(runtime)
        if keyword == "RUN" and "compileall" in rest
    ]
    copies = [index for index, (keyword, _rest) in enumerate(runtime) if keyword == "COPY"]
    (users,) = [index for index, (keyword, _rest) in enumerate(runtime) if keyword == "USER"]
    command = " ".join(runtime[index][1] for index in compiles)

    assert compiles, "the runtime stage compiles no bytecode"
    assert "/usr/local/lib/python3.11" in command
    assert re.search(r"compileall .*/app(\s|$)", command)
    assert "unchecked-hash" not in command  # a stale .pyc must never win over its source
    assert max(copies) < min(compiles) and max(compiles) < users
