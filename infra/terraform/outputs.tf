output "load_balancer_address" {
  description = "Public IPv4 address of the Application Load Balancer (the apex and wildcard A records)."
  value       = yandex_vpc_address.lb.external_ipv4_address[0].address
}

output "dns_name_servers" {
  description = "Name servers to delegate base_host to at the registrar."
  value       = ["ns1.yandexcloud.net.", "ns2.yandexcloud.net."]
}

output "cdn_host" {
  description = "CDN host name in front of the widget bucket."
  value       = local.cdn_host
}

output "cdn_provider_cname" {
  description = "Host name the CDN resource answers on; cdn.<base_host> is a CNAME to it."
  value       = yandex_cdn_resource.widget.provider_cname
}

output "widget_snippet_host" {
  description = "Host sites load the widget from (https://<host>/cdn/loader.js, the snippet's src): the CDN. The snippet names the Messenger host (API and chat frame) in data-messenger-host."
  value       = local.cdn_host
}

output "attachments_bucket" {
  description = "Private bucket for conversation attachments (AWS_STORAGE_BUCKET_NAME)."
  value       = yandex_storage_bucket.attachments.bucket
}

output "widget_bucket" {
  description = "Public-read bucket the release uploads widget-cdn/dist to, under cdn/."
  value       = yandex_storage_bucket.widget.bucket
}

output "container_registry_id" {
  description = "ID of the Container Registry."
  value       = yandex_container_registry.main.id
}

output "image_repository" {
  description = "Repository to push the messenger image to; tag it with image_tag."
  value       = local.image_repository
}

output "database_host" {
  description = "Host name that always points at the PostgreSQL primary (port 6432, through the pooler)."
  value       = local.postgres_host
}

output "redis_host" {
  description = "Host name that always points at the Redis primary (TLS port 6380)."
  value       = local.redis_host
}

output "lockbox_secret_id" {
  description = "Lockbox secret holding the application's secret settings."
  value       = yandex_lockbox_secret.app.id
}

output "log_group_id" {
  description = "Cloud Logging group of the containers and the load balancer (yc logging read --group-id=...)."
  value       = yandex_logging_group.app.id
}

output "database_url" {
  description = "DATABASE_URL the application uses, for one-off administration from inside the VPC."
  value       = local.database_url
  sensitive   = true
}
