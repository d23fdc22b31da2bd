resource "yandex_container_registry" "main" {
  name   = var.name
  labels = local.labels
}

locals {
  # Images are <registry host>/<registry id>/<repository>:<tag>.
  image_repository = "${var.container_registry_host}/${yandex_container_registry.main.id}/messenger"
}
