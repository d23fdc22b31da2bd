# Generated here so no person ever sees them; they live in the state (kept in an Object Storage
# bucket only the operators can read) and in Lockbox.
resource "random_password" "django_secret_key" {
  length  = 64
  special = false
}

resource "random_password" "postgres" {
  length  = 40
  special = false
}

resource "random_password" "redis" {
  length  = 40
  special = false
}

# boto3 (django-storages) signs requests to Object Storage with an S3 static key.
resource "yandex_iam_service_account_static_access_key" "app_storage" {
  service_account_id = yandex_iam_service_account.app.id
  description        = "Attachments bucket access for the application (django-storages)."
}

locals {
  database_url = join("", [
    "postgres://${yandex_mdb_postgresql_user.app.name}:${urlencode(random_password.postgres.result)}",
    "@${local.postgres_host}:6432/${yandex_mdb_postgresql_database.app.name}",
    "?sslmode=verify-full&sslrootcert=${local.yandex_ca_path}&target_session_attrs=read-write",
  ])

  # Cache, channel layer and broker all read REDIS_URL (CHANNEL_LAYER_URL and CELERY_BROKER_URL
  # default to it). Celery refuses a rediss:// URL without ssl_cert_reqs.
  redis_url = join("", [
    "rediss://:${urlencode(random_password.redis.result)}@${local.redis_host}:6380/0",
    "?ssl_cert_reqs=required&ssl_ca_certs=${local.yandex_ca_path}",
  ])
}

# Every secret setting of the application. Each entry becomes an environment variable of the
# app containers (infra/docker/lockbox_env.py), so each key is a name from .env.example.
resource "yandex_lockbox_secret" "app" {
  name                = "${var.name}-app"
  description         = "Secret settings of the Messenger containers."
  kms_key_id          = yandex_kms_symmetric_key.data.id
  deletion_protection = true
  labels              = local.labels
}

resource "yandex_lockbox_secret_version" "app" {
  secret_id = yandex_lockbox_secret.app.id

  entries {
    key        = "DJANGO_SECRET_KEY"
    text_value = random_password.django_secret_key.result
  }

  entries {
    key        = "DATABASE_URL"
    text_value = local.database_url
  }

  entries {
    key        = "REDIS_URL"
    text_value = local.redis_url
  }

  entries {
    key        = "SENTRY_DSN"
    text_value = var.sentry_dsn
  }

  entries {
    key        = "EMAIL_HOST_PASSWORD"
    text_value = var.email_host_password
  }

  entries {
    key        = "AWS_ACCESS_KEY_ID"
    text_value = yandex_iam_service_account_static_access_key.app_storage.access_key
  }

  entries {
    key        = "AWS_SECRET_ACCESS_KEY"
    text_value = yandex_iam_service_account_static_access_key.app_storage.secret_key
  }
}
