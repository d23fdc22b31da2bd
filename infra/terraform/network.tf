resource "yandex_vpc_network" "main" {
  name   = var.name
  labels = local.labels
}

# Instances have no public addresses; they reach Lockbox, the registry, Cloud Logging, Object
# Storage, Sentry and SMTP through this NAT gateway.
resource "yandex_vpc_gateway" "egress" {
  name   = "${var.name}-egress"
  labels = local.labels

  shared_egress_gateway {}
}

resource "yandex_vpc_route_table" "egress" {
  name       = "${var.name}-egress"
  network_id = yandex_vpc_network.main.id
  labels     = local.labels

  static_route {
    destination_prefix = "0.0.0.0/0"
    gateway_id         = yandex_vpc_gateway.egress.id
  }
}

resource "yandex_vpc_subnet" "main" {
  for_each = var.subnet_cidrs

  name           = "${var.name}-${each.key}"
  zone           = each.key
  network_id     = yandex_vpc_network.main.id
  v4_cidr_blocks = [each.value]
  route_table_id = yandex_vpc_route_table.egress.id
  labels         = local.labels
}

# Security groups reference each other in one direction only (app <- lb, db <- app,
# redis <- app); the opposite directions use the subnets' CIDRs, so there is no cycle.

resource "yandex_vpc_security_group" "lb" {
  name        = "${var.name}-lb"
  description = "Application Load Balancer: HTTP/HTTPS from anywhere, to the web instances only."
  network_id  = yandex_vpc_network.main.id
  labels      = local.labels

  ingress {
    description    = "HTTP (redirected to HTTPS)"
    protocol       = "TCP"
    port           = 80
    v4_cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description    = "HTTPS"
    protocol       = "TCP"
    port           = 443
    v4_cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description       = "Health checks of the load balancer's own nodes"
    protocol          = "TCP"
    port              = 30080
    predefined_target = "loadbalancer_healthchecks"
  }

  egress {
    description    = "To the web instances"
    protocol       = "TCP"
    port           = 8000
    v4_cidr_blocks = values(var.subnet_cidrs)
  }
}

resource "yandex_vpc_security_group" "app" {
  name        = "${var.name}-app"
  description = "Application instances: port 8000 from the load balancer only; out to the data stores, HTTPS and SMTP."
  network_id  = yandex_vpc_network.main.id
  labels      = local.labels

  ingress {
    description       = "Requests and /readyz probes from the load balancer"
    protocol          = "TCP"
    port              = 8000
    security_group_id = yandex_vpc_security_group.lb.id
  }

  ingress {
    description       = "Instance group /healthz probes"
    protocol          = "TCP"
    port              = 8000
    predefined_target = "loadbalancer_healthchecks"
  }

  egress {
    description    = "PostgreSQL through the pooler"
    protocol       = "TCP"
    port           = 6432
    v4_cidr_blocks = values(var.subnet_cidrs)
  }

  egress {
    description    = "Redis over TLS"
    protocol       = "TCP"
    port           = 6380
    v4_cidr_blocks = values(var.subnet_cidrs)
  }

  egress {
    description    = "Cloud APIs (Lockbox, registry, logging, Object Storage) and Sentry"
    protocol       = "TCP"
    port           = 443
    v4_cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    description    = "SMTP"
    protocol       = "TCP"
    port           = var.email_port
    v4_cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    description    = "Instance metadata (IAM token for Lockbox, registry and logging)"
    protocol       = "TCP"
    port           = 80
    v4_cidr_blocks = ["169.254.169.254/32"]
  }

  egress {
    description    = "VPC DNS resolver (UDP)"
    protocol       = "UDP"
    port           = 53
    v4_cidr_blocks = values(var.subnet_cidrs)
  }

  egress {
    description    = "VPC DNS resolver (TCP)"
    protocol       = "TCP"
    port           = 53
    v4_cidr_blocks = values(var.subnet_cidrs)
  }
}

resource "yandex_vpc_security_group" "postgres" {
  name        = "${var.name}-postgres"
  description = "Managed PostgreSQL: the pooler port from the application instances only."
  network_id  = yandex_vpc_network.main.id
  labels      = local.labels

  ingress {
    description       = "PostgreSQL (Odyssey pooler)"
    protocol          = "TCP"
    port              = 6432
    security_group_id = yandex_vpc_security_group.app.id
  }
}

resource "yandex_vpc_security_group" "redis" {
  name        = "${var.name}-redis"
  description = "Managed Redis: the TLS port from the application instances only."
  network_id  = yandex_vpc_network.main.id
  labels      = local.labels

  # TLS is on (redis.tf), so the plain-text port 6379 is not opened.
  ingress {
    description       = "Redis over TLS"
    protocol          = "TCP"
    port              = 6380
    security_group_id = yandex_vpc_security_group.app.id
  }
}
