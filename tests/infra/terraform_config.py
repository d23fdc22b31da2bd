"""Reads infra/terraform with python-hcl2 into plain dicts the infra tests can query."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

REPO_DIR = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO_DIR / "infra" / "terraform"
TFVARS_EXAMPLE = TERRAFORM_DIR / "environments" / "production.tfvars.example"
ENV_EXAMPLE = REPO_DIR / ".env.example"

_OPTIONS = SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False
)
_ASSIGNED_NAME = re.compile(r"^([A-Z][A-Z0-9_]*)=", re.MULTILINE)


@dataclass
class TerraformConfig:
    """The root module: every top-level block of every .tf file, merged."""

    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        return self.resources[(kind, name)]

    def of_kind(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: body for (k, name), body in self.resources.items() if k == kind}


def load_hcl(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return hcl2.load(handle, serialization_options=_OPTIONS)


def terraform_files() -> list[Path]:
    return sorted(TERRAFORM_DIR.rglob("*.tf"))


@cache
def terraform_config() -> TerraformConfig:
    config = TerraformConfig()
    for path in terraform_files():
        parsed = load_hcl(path)
        for block in parsed.get("variable", []):
            config.variables.update(block)
        for block in parsed.get("locals", []):
            config.locals.update(block)
        for block in parsed.get("output", []):
            config.outputs.update(block)
        for block in parsed.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    config.resources[(kind, name)] = body
        for block in parsed.get("data", []):
            for kind, named in block.items():
                for name, body in named.items():
                    config.data[(kind, name)] = body
        for block in parsed.get("provider", []):
            config.providers.update(block)
        config.terraform += parsed.get("terraform", [])
    return config


def env_example_names() -> set[str]:
    """Names .env.example assigns (`NAME=...` at the start of a line)."""
    return set(_ASSIGNED_NAME.findall(ENV_EXAMPLE.read_text()))


def strings_in(value: Any) -> list[str]:
    """Every string anywhere inside a parsed value (expressions are strings too)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [str(key), *strings_in(item)]]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []
