data "yandex_compute_image" "coi" {
  family    = "container-optimized-image"
  folder_id = "standard-images"
}

resource "yandex_logging_group" "app" {
  name             = "${var.name}-app"
  description      = "Logs of the Messenger containers (JSON lines, one per event)."
  retention_period = var.log_retention_period
  labels           = local.labels
}

locals {
  # Every setting the app containers get that is not a secret. Secrets come from Lockbox
  # (secrets.tf) through the entrypoint below; both sets are names from .env.example.
  app_environment = {
    DJANGO_DEBUG              = "0"
    DB_POOL_MAX_SIZE          = tostring(var.web_db_pool_max_size)
    WIDGET_CDN_URL            = "https://${local.cdn_host}/cdn"
    BASE_HOST                 = var.base_host
    PUBLIC_SCHEME             = "https"
    SECURE_COOKIES            = "1"
    STATIC_MANIFEST           = "1"
    LOG_LEVEL                 = var.log_level
    LOG_JSON                  = "1"
    SENTRY_ENVIRONMENT        = "production"
    SENTRY_TRACES_SAMPLE_RATE = tostring(var.sentry_traces_sample_rate)
    EMAIL_BACKEND             = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST                = var.email_host
    EMAIL_PORT                = tostring(var.email_port)
    EMAIL_HOST_USER           = var.email_host_user
    EMAIL_USE_TLS             = var.email_use_tls ? "1" : "0"
    DEFAULT_FROM_EMAIL        = var.default_from_email
    # The load balancer's nodes live in these subnets; only their X-Forwarded-For is believed.
    TRUSTED_PROXIES         = join(",", values(var.subnet_cidrs))
    AWS_STORAGE_BUCKET_NAME = yandex_storage_bucket.attachments.bucket
    AWS_S3_ENDPOINT_URL     = local.storage_endpoint
    AWS_S3_REGION_NAME      = "ru-central1"
  }

  # Fetches the Lockbox secret with the instance's IAM token, adds its entries to the
  # environment and execs the role's command.
  app_entrypoint = ["python", "/app/infra/docker/lockbox_env.py", "--secret-id", yandex_lockbox_secret.app.id, "--"]

  app_roles = {
    web = {
      image = "${local.image_repository}:${var.image_tag}"
      command = [
        "uvicorn", "messenger.asgi:application",
        "--host", "0.0.0.0", "--port", "8000",
        "--workers", tostring(var.web_workers),
        "--ws", "websockets", "--ws-per-message-deflate", "false",
        "--lifespan", "off", "--no-proxy-headers",
        "--timeout-graceful-shutdown", "20",
      ]
      ports      = ["8000:8000"]
      restart    = "always"
      stop_grace = "30s"
    }
    worker = {
      image      = "${local.image_repository}:${var.image_tag}"
      command    = ["celery", "-A", "messenger", "worker", "-l", "info", "--concurrency", tostring(var.worker_concurrency)]
      ports      = []
      restart    = "always"
      stop_grace = "90s" # longer than CELERY_TASK_TIME_LIMIT, so a warm shutdown finishes its tasks
    }
    beat = {
      image      = "${local.image_repository}:${var.image_tag}"
      command    = ["celery", "-A", "messenger", "beat", "-l", "info", "--schedule", "/tmp/celerybeat-schedule"]
      ports      = []
      restart    = "always"
      stop_grace = "10s"
    }
    deadlines = {
      image      = "${local.image_repository}:${var.image_tag}"
      command    = ["python", "manage.py", "deadlines_run"]
      ports      = []
      restart    = "always"
      stop_grace = "30s"
    }
    migrate = {
      image      = "${local.image_repository}:${coalesce(var.migration_image_tag, var.image_tag)}"
      command    = ["python", "manage.py", "migrate_schemas", "--noinput"]
      ports      = []
      restart    = "no" # runs once per instance; the instance stays up idle until scaled to 0
      stop_grace = "300s"
    }
  }

  docker_compose = {
    for role, spec in local.app_roles : role => yamlencode({
      version = "3.7"
      services = {
        (role) = {
          container_name    = role
          image             = spec.image
          entrypoint        = local.app_entrypoint
          command           = spec.command
          environment       = local.app_environment
          ports             = spec.ports
          restart           = spec.restart
          stop_grace_period = spec.stop_grace
          depends_on        = ["fluentbit"]
          # A new Lockbox version changes the spec, so the containers restart and read it.
          labels = { "messenger.secret-version" = yandex_lockbox_secret_version.app.id }
          logging = {
            driver = "fluentd"
            options = {
              fluentd-address = "localhost:24224"
              fluentd-async   = "true"
              tag             = "app.${role}"
            }
          }
        }
        fluentbit = {
          container_name = "fluentbit"
          image          = var.log_shipper_image
          ports          = ["127.0.0.1:24224:24224"]
          restart        = "always"
          volumes = [
            "/etc/fluentbit/fluentbit.conf:/fluent-bit/etc/fluent-bit.conf:ro",
            "/etc/fluentbit/parsers.conf:/fluent-bit/etc/parsers.conf:ro",
          ]
        }
      }
    })
  }

  # Fluent Bit reads the app's JSON log lines (LOG_JSON=1: structlog's "event" and "level")
  # and ships them to Cloud Logging with the instance's service account.
  cloud_config = join("\n", ["#cloud-config", yamlencode({
    write_files = [
      {
        path        = "/etc/fluentbit/fluentbit.conf"
        permissions = "0644"
        content     = <<-EOT
          [SERVICE]
              Flush        1
              Log_Level    error
              Daemon       off
              Parsers_File /fluent-bit/etc/parsers.conf

          [INPUT]
              Name              forward
              Listen            0.0.0.0
              Port              24224
              Buffer_Chunk_Size 1M
              Buffer_Max_Size   6M

          [FILTER]
              Name         parser
              Match        app.*
              Key_Name     log
              Parser       app_json
              Reserve_Data On

          [OUTPUT]
              Name          yc-logging
              Match         *
              group_id      ${yandex_logging_group.app.id}
              message_key   event
              level_key     level
              default_level INFO
              authorization instance-service-account
        EOT
      },
      {
        path        = "/etc/fluentbit/parsers.conf"
        permissions = "0644"
        content     = <<-EOT
          [PARSER]
              Name   app_json
              Format json
        EOT
      },
    ]
  })])

  instance_metadata = {
    for role in keys(local.app_roles) : role => {
      docker-compose     = local.docker_compose[role]
      user-data          = local.cloud_config
      serial-port-enable = "0"
    }
  }
}

# --- web: uvicorn behind the load balancer, scaled by CPU ---

resource "yandex_compute_instance_group" "web" {
  name               = "${var.name}-web"
  service_account_id = yandex_iam_service_account.instance_groups.id
  labels             = local.labels

  instance_template {
    name               = "${var.name}-web-{instance.short_id}"
    platform_id        = var.platform_id
    service_account_id = yandex_iam_service_account.app.id
    labels             = merge(local.labels, { role = "web" })
    metadata           = local.instance_metadata["web"]

    resources {
      cores         = var.instance_resources["web"].cores
      memory        = var.instance_resources["web"].memory
      core_fraction = var.instance_resources["web"].core_fraction
    }

    boot_disk {
      initialize_params {
        image_id = data.yandex_compute_image.coi.id
        type     = "network-ssd"
        size     = 30
      }
    }

    network_interface {
      network_id         = yandex_vpc_network.main.id
      subnet_ids         = [for subnet in yandex_vpc_subnet.main : subnet.id]
      security_group_ids = [yandex_vpc_security_group.app.id]
      nat                = false
    }

    metadata_options {
      gce_http_endpoint    = 1
      gce_http_token       = 1
      aws_v1_http_endpoint = 2
      aws_v1_http_token    = 2
    }
  }

  scale_policy {
    auto_scale {
      initial_size           = length(local.zones) * var.web_min_instances_per_zone
      min_zone_size          = var.web_min_instances_per_zone
      max_size               = var.web_max_instances
      cpu_utilization_target = var.web_cpu_target
      measurement_duration   = 60
      warmup_duration        = 120
      stabilization_duration = 300
    }
  }

  allocation_policy {
    zones = local.zones
  }

  # New instances join before old ones leave, one per zone at a time.
  deploy_policy {
    max_unavailable  = 0
    max_expansion    = length(local.zones)
    startup_duration = 60
  }

  # Liveness: an instance whose /healthz stops answering is recreated. Readiness (/readyz,
  # PostgreSQL and Redis reachable) is the load balancer's check (loadbalancer.tf).
  health_check {
    interval            = 10
    timeout             = 3
    healthy_threshold   = 2
    unhealthy_threshold = 5

    http_options {
      port = 8000
      path = "/healthz"
    }
  }

  max_checking_health_duration = 300

  application_load_balancer {
    target_group_name            = "${var.name}-web"
    target_group_labels          = local.labels
    max_opening_traffic_duration = 300
  }

  depends_on = [
    yandex_resourcemanager_folder_iam_member.instance_groups,
    yandex_iam_service_account_iam_member.instance_groups_use_app,
  ]
}

# --- worker, beat, deadlines, migrate: no inbound traffic, fixed sizes ---

locals {
  background_roles = {
    worker = {
      size = var.worker_instances
      # Rolling: a new worker starts before an old one is stopped.
      max_unavailable = 0
      max_expansion   = 1
    }
    beat = {
      # Exactly one scheduler: two beats would send every periodic task twice. The old
      # instance is stopped before its replacement is created.
      size            = 1
      max_unavailable = 1
      max_expansion   = 0
    }
    deadlines = {
      size            = var.deadlines_instances
      max_unavailable = 0
      max_expansion   = 1
    }
    migrate = {
      size            = var.migration_image_tag == null ? 0 : 1
      max_unavailable = 1
      max_expansion   = 0
    }
  }
}

resource "yandex_compute_instance_group" "background" {
  for_each = local.background_roles

  name               = "${var.name}-${each.key}"
  service_account_id = yandex_iam_service_account.instance_groups.id
  labels             = local.labels

  instance_template {
    name               = "${var.name}-${each.key}-{instance.short_id}"
    platform_id        = var.platform_id
    service_account_id = yandex_iam_service_account.app.id
    labels             = merge(local.labels, { role = each.key })
    metadata           = local.instance_metadata[each.key]

    resources {
      cores         = var.instance_resources[each.key].cores
      memory        = var.instance_resources[each.key].memory
      core_fraction = var.instance_resources[each.key].core_fraction
    }

    boot_disk {
      initialize_params {
        image_id = data.yandex_compute_image.coi.id
        type     = "network-ssd"
        size     = 30
      }
    }

    network_interface {
      network_id         = yandex_vpc_network.main.id
      subnet_ids         = [for subnet in yandex_vpc_subnet.main : subnet.id]
      security_group_ids = [yandex_vpc_security_group.app.id]
      nat                = false
    }

    metadata_options {
      gce_http_endpoint    = 1
      gce_http_token       = 1
      aws_v1_http_endpoint = 2
      aws_v1_http_token    = 2
    }
  }

  scale_policy {
    fixed_scale {
      size = each.value.size
    }
  }

  allocation_policy {
    zones = local.zones
  }

  deploy_policy {
    max_unavailable = each.value.max_unavailable
    max_expansion   = each.value.max_expansion
  }

  depends_on = [
    yandex_resourcemanager_folder_iam_member.instance_groups,
    yandex_iam_service_account_iam_member.instance_groups_use_app,
  ]
}
