# The zone must be delegated to Yandex Cloud DNS at the registrar (ns1/ns2.yandexcloud.net)
# before the certificate can be validated.
resource "yandex_dns_zone" "main" {
  name   = var.name
  zone   = "${var.base_host}."
  public = true
  labels = local.labels
}

# One certificate for the apex (signup, console) and every company's subdomain; it also
# covers cdn.<base_host>. Renewed automatically while the validation record stays in place.
resource "yandex_cm_certificate" "main" {
  name    = var.name
  domains = [var.base_host, "*.${var.base_host}"]
  labels  = local.labels

  managed {
    challenge_type  = "DNS_CNAME"
    challenge_count = 1 # the apex and its wildcard share one _acme-challenge record
  }
}

resource "yandex_dns_recordset" "certificate_validation" {
  count = yandex_cm_certificate.main.managed[0].challenge_count

  zone_id = yandex_dns_zone.main.id
  name    = yandex_cm_certificate.main.challenges[count.index].dns_name
  type    = yandex_cm_certificate.main.challenges[count.index].dns_type
  data    = [yandex_cm_certificate.main.challenges[count.index].dns_value]
  ttl     = 60
}

# Waits until the certificate is issued, so the load balancer and the CDN get a valid one.
data "yandex_cm_certificate" "main" {
  certificate_id  = yandex_cm_certificate.main.id
  wait_validation = true

  depends_on = [yandex_dns_recordset.certificate_validation]
}

resource "yandex_dns_recordset" "apex" {
  zone_id = yandex_dns_zone.main.id
  name    = "${var.base_host}."
  type    = "A"
  ttl     = 300
  data    = [yandex_vpc_address.lb.external_ipv4_address[0].address]
}

resource "yandex_dns_recordset" "wildcard" {
  zone_id = yandex_dns_zone.main.id
  name    = "*.${var.base_host}."
  type    = "A"
  ttl     = 300
  data    = [yandex_vpc_address.lb.external_ipv4_address[0].address]
}

resource "yandex_dns_recordset" "cdn" {
  zone_id = yandex_dns_zone.main.id
  name    = "${local.cdn_host}."
  type    = "CNAME"
  ttl     = 300
  data    = [yandex_cdn_resource.widget.provider_cname]
}
