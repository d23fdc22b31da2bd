resource "yandex_vpc_address" "lb" {
  name                = "${var.name}-lb"
  deletion_protection = true
  labels              = local.labels

  external_ipv4_address {
    zone_id = local.zones[0]
  }
}

resource "yandex_alb_backend_group" "web" {
  name   = "${var.name}-web"
  labels = local.labels

  http_backend {
    name             = "web"
    port             = 8000
    weight           = 1
    target_group_ids = [yandex_compute_instance_group.web.application_load_balancer[0].target_group_id]

    load_balancing_config {
      panic_threshold = 50
    }

    # Readiness: an instance leaves the rotation while it cannot reach PostgreSQL or Redis.
    healthcheck {
      timeout             = "3s"
      interval            = "5s"
      healthy_threshold   = 2
      unhealthy_threshold = 3

      http_healthcheck {
        path = "/readyz"
      }
    }
  }
}

# Content-hashed widget files straight from the widget bucket: every release's files stay
# there, so a frame page rendered by an old instance during a rollout still finds its script.
resource "yandex_alb_backend_group" "widget_files" {
  name   = "${var.name}-widget-files"
  labels = local.labels

  http_backend {
    name           = "widget-bucket"
    weight         = 1
    storage_bucket = yandex_storage_bucket.widget.bucket
  }
}

resource "yandex_alb_http_router" "main" {
  name   = var.name
  labels = local.labels
}

# Companies live on subdomains, so one virtual host serves the apex and every subdomain.
resource "yandex_alb_virtual_host" "main" {
  name           = var.name
  http_router_id = yandex_alb_http_router.main.id
  authority      = [var.base_host, "*.${var.base_host}"]

  # Routes match in order.
  route {
    name = "websocket"
    http_route {
      http_match {
        path {
          prefix = "/ws/"
        }
      }
      http_route_action {
        backend_group_id = yandex_alb_backend_group.web.id
        upgrade_types    = ["websocket"]
        timeout          = var.realtime_max_duration
        idle_timeout     = var.realtime_idle_timeout
      }
    }
  }

  route {
    name = "widget-events"
    http_route {
      http_match {
        path {
          prefix = "/widget/v1/events"
        }
      }
      http_route_action {
        backend_group_id = yandex_alb_backend_group.web.id
        timeout          = var.realtime_max_duration
        idle_timeout     = var.realtime_idle_timeout
      }
    }
  }

  # The one unhashed file sites embed; Django serves it with the cross-origin headers it needs.
  route {
    name = "widget-loader"
    http_route {
      http_match {
        path {
          exact = "/cdn/loader.js"
        }
      }
      http_route_action {
        backend_group_id = yandex_alb_backend_group.web.id
        timeout          = "10s"
      }
    }
  }

  route {
    name = "widget-files"
    http_route {
      http_match {
        path {
          prefix = "/cdn/"
        }
      }
      http_route_action {
        backend_group_id = yandex_alb_backend_group.widget_files.id
        timeout          = "10s"
      }
    }
  }

  route {
    name = "app"
    http_route {
      http_route_action {
        backend_group_id = yandex_alb_backend_group.web.id
        timeout          = var.http_request_timeout
      }
    }
  }
}

resource "yandex_alb_load_balancer" "main" {
  name               = var.name
  network_id         = yandex_vpc_network.main.id
  security_group_ids = [yandex_vpc_security_group.lb.id]
  labels             = local.labels

  allocation_policy {
    dynamic "location" {
      for_each = yandex_vpc_subnet.main
      content {
        zone_id   = location.value.zone
        subnet_id = location.value.id
      }
    }
  }

  listener {
    name = "http"
    endpoint {
      address {
        external_ipv4_address {
          address = yandex_vpc_address.lb.external_ipv4_address[0].address
        }
      }
      ports = [80]
    }
    http {
      redirects {
        http_to_https = true
      }
    }
  }

  listener {
    name = "https"
    endpoint {
      address {
        external_ipv4_address {
          address = yandex_vpc_address.lb.external_ipv4_address[0].address
        }
      }
      ports = [443]
    }
    tls {
      default_handler {
        certificate_ids = [data.yandex_cm_certificate.main.id]
        http_handler {
          http_router_id = yandex_alb_http_router.main.id
          http2_options {
            max_concurrent_streams = 100
          }
        }
      }
    }
  }

  log_options {
    log_group_id = yandex_logging_group.app.id
    discard_rule {
      http_code_intervals = ["2XX"]
      discard_percent     = 90
    }
  }
}
