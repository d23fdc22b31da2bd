resource "yandex_mdb_postgresql_cluster" "main" {
  name                = "${var.name}-pg"
  environment         = "PRODUCTION"
  network_id          = yandex_vpc_network.main.id
  security_group_ids  = [yandex_vpc_security_group.postgres.id]
  deletion_protection = true
  labels              = local.labels

  config {
    version                   = var.postgres_version
    autofailover              = true
    backup_retain_period_days = var.postgres_backup_retain_days

    resources {
      resource_preset_id = var.postgres_resource_preset
      disk_type_id       = "network-ssd"
      disk_size          = var.postgres_disk_size
    }

    disk_size_autoscaling {
      disk_size_limit           = var.postgres_disk_size_limit
      planned_usage_threshold   = 80
      emergency_usage_threshold = 90
    }

    backup_window_start {
      hours   = var.postgres_backup_window_hour
      minutes = 0
    }

    # Session pooling: django-tenants sets search_path on the connection for each request, so a
    # server connection must not be handed to another client between transactions.
    pooler_config {
      pooling_mode = "SESSION"
      pool_discard = false
    }

    performance_diagnostics {
      enabled                      = true
      sessions_sampling_interval   = 60
      statements_sampling_interval = 600
    }

    access {
      data_lens = false
      web_sql   = false
    }
  }

  maintenance_window {
    type = "WEEKLY"
    day  = "SUN"
    hour = 2
  }

  dynamic "host" {
    for_each = var.postgres_zones
    content {
      zone      = host.value
      subnet_id = yandex_vpc_subnet.main[host.value].id
    }
  }

  lifecycle {
    precondition {
      condition     = alltrue([for zone in var.postgres_zones : contains(keys(var.subnet_cidrs), zone)])
      error_message = "Every zone in postgres_zones needs a subnet in subnet_cidrs."
    }
  }
}

resource "yandex_mdb_postgresql_user" "app" {
  cluster_id               = yandex_mdb_postgresql_cluster.main.id
  name                     = "messenger"
  password                 = random_password.postgres.result
  conn_limit               = var.postgres_conn_limit
  user_password_encryption = "USER_PASSWORD_ENCRYPTION_SCRAM_SHA_256"

  settings = {
    pool_mode = "session"
  }
}

resource "yandex_mdb_postgresql_database" "app" {
  cluster_id          = yandex_mdb_postgresql_cluster.main.id
  name                = "messenger"
  owner               = yandex_mdb_postgresql_user.app.name
  deletion_protection = "true"
}

# Every process's connections at the largest scale must fit the application user's limit:
# web processes hold at most their pool's bound, a Celery process, beat and the migration one
# each, a deadline runner one per thread (2). docs/database-connections.md explains the sizes.
locals {
  postgres_connections_at_most = (
    var.web_max_instances * var.web_workers * var.web_db_pool_max_size
    + var.worker_instances * var.worker_concurrency + 1 + 1
    + var.deadlines_instances * 2
  )
}

check "postgres_connections_fit" {
  assert {
    condition     = local.postgres_connections_at_most <= var.postgres_conn_limit
    error_message = "At full scale the processes may hold ${local.postgres_connections_at_most} connections, over postgres_conn_limit (${var.postgres_conn_limit}): lower web_db_pool_max_size or web_max_instances, or raise the limit and the cluster's preset."
  }
}
