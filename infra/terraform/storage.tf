# Encrypts the attachments bucket and the Lockbox secret. Only the application's service
# account may use it (iam.tf).
resource "yandex_kms_symmetric_key" "data" {
  name                = "${var.name}-data"
  description         = "Attachments (server-side encryption) and the application's Lockbox secret."
  default_algorithm   = "AES_256"
  rotation_period     = "8760h"
  deletion_protection = true
  labels              = local.labels
}

# Files people send in conversations. Private: the app hands out short-lived pre-signed URLs.
resource "yandex_storage_bucket" "attachments" {
  bucket    = "${var.name}-attachments"
  folder_id = var.folder_id
  tags      = local.labels

  anonymous_access_flags {
    read        = false
    list        = false
    config_read = false
  }

  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        kms_master_key_id = yandex_kms_symmetric_key.data.id
        sse_algorithm     = "aws:kms"
      }
    }
  }

  lifecycle_rule {
    id                                     = "abort-incomplete-uploads"
    enabled                                = true
    abort_incomplete_multipart_upload_days = 2

    filter {
      prefix = ""
    }
  }
}

# The built widget (widget-cdn/dist) under the key prefix cdn/, the same path it has on the
# Messenger host. Public read, never listed. Every release adds its content-hashed files and
# none is deleted, so a page rendered by an older instance still finds its widget.<hash>.js.
resource "yandex_storage_bucket" "widget" {
  bucket    = "${var.name}-widget"
  folder_id = var.folder_id
  tags      = local.labels

  anonymous_access_flags {
    read        = true
    list        = false
    config_read = false
  }

  cors_rule {
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = ["*"]
    allowed_headers = ["*"]
    max_age_seconds = 86400
  }

  lifecycle_rule {
    id                                     = "abort-incomplete-uploads"
    enabled                                = true
    abort_incomplete_multipart_upload_days = 1

    filter {
      prefix = ""
    }
  }
}
