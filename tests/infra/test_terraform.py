"""Checks infra/terraform without providers: structure, security and the app's settings."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.terraform_config import (
    TERRAFORM_DIR,
    TFVARS_EXAMPLE,
    TerraformConfig,
    env_example_names,
    load_hcl,
    strings_in,
    terraform_config,
    terraform_files,
)

TERRAFORM = Path("/usr/local/bin/terraform")
SECRET_NAME = re.compile(r"password|secret|token|dsn|private_key|access_key|api_key")
# boto3 reads these itself; .env.example documents them in a comment, not as NAME= lines.
READ_BY_BOTO3 = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


@pytest.fixture(scope="module")
def tf() -> TerraformConfig:
    return terraform_config()


def blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return body.get(name, [])


def only_block(body: dict[str, Any], name: str) -> dict[str, Any]:
    found = blocks(body, name)
    assert len(found) == 1, f"expected one {name} block, found {len(found)}"
    return found[0]


def route(tf: TerraformConfig, name: str) -> dict[str, Any]:
    routes = blocks(tf.resource("yandex_alb_virtual_host", "main"), "route")
    return next(r for r in routes if r["name"] == name)


def test_every_terraform_file_parses_as_hcl() -> None:
    files = terraform_files()

    assert len(files) >= 10
    for path in files:
        assert isinstance(load_hcl(path), dict), path


def test_yandex_provider_is_pinned_and_terraform_is_at_least_1_6(tf: TerraformConfig) -> None:
    (terraform,) = tf.terraform
    provider = terraform["required_providers"][0]["yandex"]

    assert terraform["required_version"] == ">= 1.6"
    assert provider["source"] == "yandex-cloud/yandex"
    assert re.fullmatch(r"~> 0\.\d{3}", provider["version"])


def test_state_backend_is_object_storage(tf: TerraformConfig) -> None:
    (terraform,) = tf.terraform
    backend = terraform["backend"][0]["s3"]

    assert backend["endpoints"]["s3"] == "https://storage.yandexcloud.net"
    assert "bucket" not in backend  # partial: given at init, never committed


def test_every_variable_has_a_description_and_a_type(tf: TerraformConfig) -> None:
    assert tf.variables
    for name, body in tf.variables.items():
        assert str(body.get("description", "")).strip(), f"{name} has no description"
        assert body.get("type"), f"{name} has no type"


def test_secret_looking_variables_are_sensitive_and_have_no_default(tf: TerraformConfig) -> None:
    secrets = {name: body for name, body in tf.variables.items() if SECRET_NAME.search(name)}

    assert {"sentry_dsn", "email_host_password"} <= set(secrets)
    for name, body in secrets.items():
        assert body.get("sensitive") is True, f"{name} must be sensitive"
        assert "default" not in body, f"{name} must not have a default"


def test_tfvars_example_sets_only_declared_variables_and_no_secret(tf: TerraformConfig) -> None:
    example = load_hcl(TFVARS_EXAMPLE)

    assert set(example) <= set(tf.variables)
    assert not [name for name in example if SECRET_NAME.search(name)]
    assert not [name for name in example if tf.variables[name].get("sensitive")]


def test_default_zones_are_three_zones_of_ru_central1(tf: TerraformConfig) -> None:
    zones = set(tf.variables["subnet_cidrs"]["default"])

    assert zones == {"ru-central1-a", "ru-central1-b", "ru-central1-d"}


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("yandex_vpc_network", "main"),
        ("yandex_mdb_postgresql_cluster", "main"),
        ("yandex_mdb_postgresql_database", "app"),
        ("yandex_mdb_postgresql_user", "app"),
        ("yandex_mdb_redis_cluster", "main"),
        ("yandex_storage_bucket", "attachments"),
        ("yandex_storage_bucket", "widget"),
        ("yandex_kms_symmetric_key", "data"),
        ("yandex_cdn_resource", "widget"),
        ("yandex_container_registry", "main"),
        ("yandex_compute_instance_group", "web"),
        ("yandex_compute_instance_group", "background"),
        ("yandex_alb_load_balancer", "main"),
        ("yandex_alb_virtual_host", "main"),
        ("yandex_cm_certificate", "main"),
        ("yandex_dns_zone", "main"),
        ("yandex_lockbox_secret", "app"),
        ("yandex_lockbox_secret_version", "app"),
    ],
)
def test_deployment_declares_the_resource_it_needs(
    tf: TerraformConfig, kind: str, name: str
) -> None:
    assert (kind, name) in tf.resources


def test_postgres_is_16_highly_available_pooled_backed_up_and_protected(
    tf: TerraformConfig,
) -> None:
    cluster = tf.resource("yandex_mdb_postgresql_cluster", "main")
    config = only_block(cluster, "config")

    assert tf.variables["postgres_version"]["default"] == "16"
    assert len(tf.variables["postgres_zones"]["default"]) >= 2
    assert only_block(cluster, "dynamic")["host"]["for_each"] == "${var.postgres_zones}"
    assert only_block(config, "pooler_config")["pooling_mode"] == "SESSION"
    assert blocks(config, "backup_window_start")
    assert cluster["deletion_protection"] is True
    assert tf.resource("yandex_mdb_postgresql_database", "app")["name"] == "messenger"


def test_redis_is_7_with_tls_and_a_replica(tf: TerraformConfig) -> None:
    cluster = tf.resource("yandex_mdb_redis_cluster", "main")

    assert tf.variables["redis_version"]["default"].startswith("7")
    assert cluster["tls_enabled"] is True
    assert len(tf.variables["redis_zones"]["default"]) >= 2


def test_attachments_bucket_is_private_and_encrypted_with_kms(tf: TerraformConfig) -> None:
    bucket = tf.resource("yandex_storage_bucket", "attachments")
    access = only_block(bucket, "anonymous_access_flags")
    sse = only_block(bucket, "server_side_encryption_configuration")
    default = only_block(only_block(sse, "rule"), "apply_server_side_encryption_by_default")

    assert access == {"read": False, "list": False, "config_read": False}
    assert "acl" not in bucket and "grant" not in bucket
    assert default["sse_algorithm"] == "aws:kms"
    assert default["kms_master_key_id"] == "${yandex_kms_symmetric_key.data.id}"
    assert any(
        rule.get("abort_incomplete_multipart_upload_days") for rule in bucket["lifecycle_rule"]
    )


def test_widget_bucket_is_public_read_but_not_listed_and_allows_cors_get(
    tf: TerraformConfig,
) -> None:
    bucket = tf.resource("yandex_storage_bucket", "widget")
    access = only_block(bucket, "anonymous_access_flags")
    cors = only_block(bucket, "cors_rule")

    assert access["read"] is True
    assert access["list"] is False
    assert "GET" in cors["allowed_methods"]


def test_cdn_serves_the_widget_bucket_on_the_cdn_subdomain_over_https(tf: TerraformConfig) -> None:
    cdn = tf.resource("yandex_cdn_resource", "widget")
    origin = only_block(tf.resource("yandex_cdn_origin_group", "widget"), "origin")

    assert cdn["cname"] == "${local.cdn_host}"
    assert tf.locals["cdn_host"] == "cdn.${var.base_host}"
    assert "yandex_storage_bucket.widget.bucket" in origin["source"]
    assert only_block(cdn, "ssl_certificate")["type"] == "certificate_manager"
    assert only_block(cdn, "options")["redirect_http_to_https"] is True


def test_certificate_covers_the_apex_and_every_company_subdomain(tf: TerraformConfig) -> None:
    certificate = tf.resource("yandex_cm_certificate", "main")

    assert certificate["domains"] == ["${var.base_host}", "*.${var.base_host}"]


def test_dns_points_apex_and_wildcard_at_the_load_balancer_and_cdn_at_the_cdn(
    tf: TerraformConfig,
) -> None:
    records = tf.of_kind("yandex_dns_recordset")

    assert records["apex"]["name"] == "${var.base_host}."
    assert records["wildcard"]["name"] == "*.${var.base_host}."
    for name in ("apex", "wildcard"):
        assert "yandex_vpc_address.lb" in records[name]["data"][0]
    assert records["cdn"]["type"] == "CNAME"
    assert "yandex_cdn_resource.widget.provider_cname" in records["cdn"]["data"][0]


def test_load_balancer_redirects_http_to_https(tf: TerraformConfig) -> None:
    listeners = {
        listener["name"]: listener
        for listener in blocks(tf.resource("yandex_alb_load_balancer", "main"), "listener")
    }
    http = only_block(listeners["http"], "http")
    tls = only_block(only_block(listeners["https"], "tls"), "default_handler")

    assert only_block(listeners["http"], "endpoint")["ports"] == [80]
    assert only_block(http, "redirects")["http_to_https"] is True
    assert "handler" not in http
    assert only_block(listeners["https"], "endpoint")["ports"] == [443]
    assert tls["certificate_ids"]


def test_websocket_route_allows_the_upgrade_with_long_timeouts(tf: TerraformConfig) -> None:
    ws = only_block(route(tf, "websocket"), "http_route")
    action = only_block(ws, "http_route_action")

    assert only_block(only_block(ws, "http_match"), "path")["prefix"] == "/ws/"
    assert action["upgrade_types"] == ["websocket"]
    assert action["idle_timeout"] == "${var.realtime_idle_timeout}"
    assert action["timeout"] == "${var.realtime_max_duration}"


def test_sse_route_has_long_timeouts(tf: TerraformConfig) -> None:
    sse = only_block(route(tf, "widget-events"), "http_route")
    action = only_block(sse, "http_route_action")

    assert only_block(only_block(sse, "http_match"), "path")["prefix"] == "/widget/v1/events"
    assert action["idle_timeout"] == "${var.realtime_idle_timeout}"
    assert action["timeout"] == "${var.realtime_max_duration}"


def test_load_balancer_checks_readiness_and_instance_group_checks_liveness(
    tf: TerraformConfig,
) -> None:
    backend = only_block(tf.resource("yandex_alb_backend_group", "web"), "http_backend")
    web = tf.resource("yandex_compute_instance_group", "web")

    readiness = only_block(only_block(backend, "healthcheck"), "http_healthcheck")
    liveness = only_block(only_block(web, "health_check"), "http_options")
    assert readiness["path"] == "/readyz"
    assert liveness == {"port": 8000, "path": "/healthz"}


def test_web_autoscales_by_cpu_behind_the_load_balancer(tf: TerraformConfig) -> None:
    web = tf.resource("yandex_compute_instance_group", "web")
    auto = only_block(only_block(web, "scale_policy"), "auto_scale")

    assert auto["cpu_utilization_target"] == "${var.web_cpu_target}"
    assert blocks(web, "application_load_balancer")


def test_web_runs_uvicorn_with_websockets_without_deflate_and_configured_workers(
    tf: TerraformConfig,
) -> None:
    command = tf.locals["app_roles"]["web"]["command"]

    assert command[:2] == ["uvicorn", "messenger.asgi:application"]
    assert command[command.index("--workers") + 1] == "${tostring(var.web_workers)}"
    assert command[command.index("--ws") + 1] == "websockets"
    assert command[command.index("--ws-per-message-deflate") + 1] == "false"
    assert "--no-proxy-headers" in command  # only TRUSTED_PROXIES decide the client address


@pytest.mark.parametrize(
    ("role", "command"),
    [
        ("worker", ["celery", "-A", "messenger", "worker"]),
        ("beat", ["celery", "-A", "messenger", "beat"]),
        ("deadlines", ["python", "manage.py", "deadlines_run"]),
        ("migrate", ["python", "manage.py", "migrate_schemas", "--noinput"]),
    ],
)
def test_each_role_runs_its_command(tf: TerraformConfig, role: str, command: list[str]) -> None:
    assert tf.locals["app_roles"][role]["command"][: len(command)] == command


def test_beat_runs_exactly_one_instance_even_during_a_rollout(tf: TerraformConfig) -> None:
    beat = tf.locals["background_roles"]["beat"]

    assert beat["size"] == 1
    assert beat["max_expansion"] == 0


def test_migrations_run_only_while_a_migration_image_tag_is_set(tf: TerraformConfig) -> None:
    migrate = tf.locals["background_roles"]["migrate"]

    assert migrate["size"] == "${var.migration_image_tag == null ? 0 : 1}"
    assert tf.variables["migration_image_tag"]["default"] is None
    assert tf.locals["app_roles"]["migrate"]["restart"] == "no"


def test_every_app_container_gets_the_one_environment_and_the_lockbox_entrypoint(
    tf: TerraformConfig,
) -> None:
    compose = tf.locals["docker_compose"]

    assert "environment = local.app_environment" in compose
    assert "entrypoint = local.app_entrypoint" in compose
    assert "yandex_lockbox_secret.app.id" in " ".join(tf.locals["app_entrypoint"])


def test_every_environment_variable_of_the_app_is_listed_in_env_example(
    tf: TerraformConfig,
) -> None:
    # given
    documented = env_example_names()
    plain = set(tf.locals["app_environment"])
    secret = {
        entry["key"] for entry in tf.resource("yandex_lockbox_secret_version", "app")["entries"]
    }

    # then
    assert not plain & secret
    assert sorted(plain - documented) == []
    assert sorted(secret - documented) == []


def test_app_gets_the_settings_production_needs(tf: TerraformConfig) -> None:
    plain = tf.locals["app_environment"]
    secret = {
        entry["key"] for entry in tf.resource("yandex_lockbox_secret_version", "app")["entries"]
    }

    assert plain["DJANGO_DEBUG"] == "0"
    assert plain["BASE_HOST"] == "${var.base_host}"
    assert plain["STATIC_MANIFEST"] == "1"
    assert plain["AWS_STORAGE_BUCKET_NAME"] == "${yandex_storage_bucket.attachments.bucket}"
    assert {"AWS_S3_ENDPOINT_URL", "AWS_S3_REGION_NAME", "TRUSTED_PROXIES"} <= set(plain)
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SENTRY_DSN"} <= secret
    assert secret >= READ_BY_BOTO3


def test_database_url_verifies_the_server_and_redis_url_uses_tls(tf: TerraformConfig) -> None:
    database_url = "".join(re.findall(r'"([^"]*)"', tf.locals["database_url"]))
    redis_url = "".join(re.findall(r'"([^"]*)"', tf.locals["redis_url"]))

    assert database_url.startswith("postgres://")
    assert "sslmode=verify-full" in database_url
    assert ":6432/" in database_url
    assert redis_url.startswith("rediss://")
    assert "ssl_cert_reqs=required" in redis_url


def ingress_rules(tf: TerraformConfig, group: str) -> list[dict[str, Any]]:
    return blocks(tf.resource("yandex_vpc_security_group", group), "ingress")


def test_only_http_and_https_are_open_to_the_internet(tf: TerraformConfig) -> None:
    open_to_all = [
        rule["port"]
        for group in tf.of_kind("yandex_vpc_security_group")
        for rule in ingress_rules(tf, group)
        if "0.0.0.0/0" in rule.get("v4_cidr_blocks", [])
    ]

    assert sorted(open_to_all) == [80, 443]


def test_app_instances_accept_port_8000_from_the_load_balancer_only(tf: TerraformConfig) -> None:
    rules = ingress_rules(tf, "app")

    assert {rule["port"] for rule in rules} == {8000}
    assert {rule.get("security_group_id") or rule.get("predefined_target") for rule in rules} == {
        "${yandex_vpc_security_group.lb.id}",
        "loadbalancer_healthchecks",
    }


@pytest.mark.parametrize(("group", "port"), [("postgres", 6432), ("redis", 6380)])
def test_data_stores_accept_their_port_from_the_app_instances_only(
    tf: TerraformConfig, group: str, port: int
) -> None:
    rules = ingress_rules(tf, group)

    assert [(rule["port"], rule["security_group_id"]) for rule in rules] == [
        (port, "${yandex_vpc_security_group.app.id}")
    ]


def test_app_service_account_gets_least_privilege_roles(tf: TerraformConfig) -> None:
    app = "serviceAccount:${yandex_iam_service_account.app.id}"
    storage = tf.resource("yandex_storage_bucket_iam_binding", "attachments_editor")
    folder_roles = {
        body["role"]
        for body in tf.of_kind("yandex_resourcemanager_folder_iam_member").values()
        if body.get("member") == app
    }

    assert (storage["role"], storage["members"]) == ("storage.editor", [app])
    assert storage["bucket"] == "${yandex_storage_bucket.attachments.bucket}"
    assert tf.resource("yandex_lockbox_secret_iam_member", "app_payload_viewer")["role"] == (
        "lockbox.payloadViewer"
    )
    assert tf.resource("yandex_container_registry_iam_binding", "app_puller")["role"] == (
        "container-registry.images.puller"
    )
    assert folder_roles == {"logging.writer", "monitoring.editor"}


def test_sensitive_outputs_are_marked_sensitive(tf: TerraformConfig) -> None:
    secret_sources = re.compile(
        r"random_password\.|static_access_key\.|local\.(database|redis)_url|"
        r"var\.(sentry_dsn|email_host_password)"
    )
    secret_outputs = [
        name for name, body in tf.outputs.items() if secret_sources.search(str(body["value"]))
    ]

    assert secret_outputs
    for name in secret_outputs:
        assert tf.outputs[name].get("sensitive") is True, name


def test_every_output_has_a_description(tf: TerraformConfig) -> None:
    expected = {
        "load_balancer_address",
        "cdn_host",
        "attachments_bucket",
        "widget_bucket",
        "container_registry_id",
        "database_host",
        "widget_snippet_host",
    }

    assert expected <= set(tf.outputs)
    for name, body in tf.outputs.items():
        assert str(body.get("description", "")).strip(), name


def test_every_reference_points_at_something_declared(tf: TerraformConfig) -> None:
    # what `terraform validate` would catch first, without needing the providers
    text = "\n".join(
        strings_in([tf.locals, tf.outputs, tf.providers, *tf.resources.values(), *tf.data.values()])
        + strings_in(list(tf.variables.values()))
    )
    used_vars = set(re.findall(r"\bvar\.(\w+)", text))
    used_locals = set(re.findall(r"\blocal\.(\w+)", text))
    used_data = set(re.findall(r"\bdata\.(\w+)\.(\w+)", text))
    used_resources = set(re.findall(r"(?<![\w.])((?:yandex|random)_\w+)\.(\w+)", text))

    assert sorted(used_vars - set(tf.variables)) == []
    assert sorted(used_locals - set(tf.locals)) == []
    assert sorted(used_data - set(tf.data)) == []
    assert sorted(used_resources - set(tf.resources)) == []


def test_terraform_fmt_check_passes() -> None:
    if not TERRAFORM.exists() or shutil.which(str(TERRAFORM)) is None:
        pytest.skip(f"{TERRAFORM} is not installed")

    result = subprocess.run(
        [str(TERRAFORM), "fmt", "-check", "-recursive", str(TERRAFORM_DIR)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, f"files needing terraform fmt:\n{result.stdout}"
