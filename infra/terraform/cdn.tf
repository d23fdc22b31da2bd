locals {
  cdn_host = "cdn.${var.base_host}"
}

resource "yandex_cdn_origin_group" "widget" {
  name     = "${var.name}-widget"
  use_next = false

  origin {
    source = "${yandex_storage_bucket.widget.bucket}.storage.yandexcloud.net"
  }
}

# The widget bucket behind a CDN at cdn.<base_host>. Cache lifetimes come from each object's
# Cache-Control, set when a release uploads it (infra/scripts/publish-widget.sh): a year and
# immutable for content-hashed files, five minutes for loader.js and manifest.json.
# edge_cache_settings applies only to a response without one.
resource "yandex_cdn_resource" "widget" {
  cname           = local.cdn_host
  active          = true
  origin_protocol = "https"
  origin_group_id = yandex_cdn_origin_group.widget.id
  labels          = local.labels

  ssl_certificate {
    type                   = "certificate_manager"
    certificate_manager_id = data.yandex_cm_certificate.main.id
  }

  options {
    edge_cache_settings    = 300
    allowed_http_methods   = ["GET", "HEAD", "OPTIONS"]
    ignore_query_params    = true
    ignore_cookie          = true
    gzip_on                = true
    redirect_http_to_https = true
    cors                   = ["*"]
    custom_host_header     = "${yandex_storage_bucket.widget.bucket}.storage.yandexcloud.net"
  }
}
