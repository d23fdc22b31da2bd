# One Redis for the cache, the Channels layer (pub/sub) and the Celery broker, as in development.
resource "yandex_mdb_redis_cluster" "main" {
  name                = "${var.name}-redis"
  environment         = "PRODUCTION"
  network_id          = yandex_vpc_network.main.id
  security_group_ids  = [yandex_vpc_security_group.redis.id]
  tls_enabled         = true
  persistence_mode    = "ON"
  deletion_protection = true
  labels              = local.labels

  config {
    version  = var.redis_version
    password = random_password.redis.result
    # The broker's queues carry no TTL and must never be evicted; cache entries always have one.
    maxmemory_policy = "VOLATILE_LRU"
  }

  resources {
    resource_preset_id = var.redis_resource_preset
    disk_type_id       = "network-ssd"
    disk_size          = var.redis_disk_size
  }

  dynamic "host" {
    for_each = var.redis_zones
    content {
      zone      = host.value
      subnet_id = yandex_vpc_subnet.main[host.value].id
    }
  }

  maintenance_window {
    type = "WEEKLY"
    day  = "SUN"
    hour = 3
  }

  lifecycle {
    precondition {
      condition     = alltrue([for zone in var.redis_zones : contains(keys(var.subnet_cidrs), zone)])
      error_message = "Every zone in redis_zones needs a subnet in subnet_cidrs."
    }
  }
}
