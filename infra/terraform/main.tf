provider "yandex" {
  cloud_id  = var.cloud_id
  folder_id = var.folder_id
  zone      = local.zones[0]
}

locals {
  zones = sort(keys(var.subnet_cidrs))

  labels = merge(var.labels, {
    app        = "messenger"
    managed-by = "terraform"
  })

  # Yandex Cloud's internal CA: managed PostgreSQL and Redis present certificates signed by it.
  # The image ships it at this path (infra/docker/Dockerfile).
  yandex_ca_path = "/etc/ssl/certs/yandex-cloud-ca.pem"

  # Always points at the current primary, so a failover needs no configuration change.
  postgres_host = "c-${yandex_mdb_postgresql_cluster.main.id}.rw.mdb.yandexcloud.net"
  redis_host    = "c-${yandex_mdb_redis_cluster.main.id}.rw.mdb.yandexcloud.net"

  storage_endpoint = "https://storage.yandexcloud.net"
}
