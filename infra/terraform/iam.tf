# The identity of every application instance: what the containers and the instance itself
# (image pulls, log shipping) may do. Each role is granted on the one resource that needs it
# where the service allows that; Monitoring and Logging roles exist at folder level only.
resource "yandex_iam_service_account" "app" {
  name        = "${var.name}-app"
  description = "Messenger application instances."
}

resource "yandex_container_registry_iam_binding" "app_puller" {
  registry_id = yandex_container_registry.main.id
  role        = "container-registry.images.puller"
  members     = ["serviceAccount:${yandex_iam_service_account.app.id}"]
}

resource "yandex_lockbox_secret_iam_member" "app_payload_viewer" {
  secret_id = yandex_lockbox_secret.app.id
  role      = "lockbox.payloadViewer"
  member    = "serviceAccount:${yandex_iam_service_account.app.id}"
}

resource "yandex_storage_bucket_iam_binding" "attachments_editor" {
  bucket  = yandex_storage_bucket.attachments.bucket
  role    = "storage.editor"
  members = ["serviceAccount:${yandex_iam_service_account.app.id}"]
}

# Reading the Lockbox secret and the attachments (both KMS-encrypted) needs the key.
resource "yandex_kms_symmetric_key_iam_binding" "app_data_key" {
  symmetric_key_id = yandex_kms_symmetric_key.data.id
  role             = "kms.keys.encrypterDecrypter"
  members          = ["serviceAccount:${yandex_iam_service_account.app.id}"]
}

resource "yandex_resourcemanager_folder_iam_member" "app_logging_writer" {
  folder_id = var.folder_id
  role      = "logging.writer"
  member    = "serviceAccount:${yandex_iam_service_account.app.id}"
}

resource "yandex_resourcemanager_folder_iam_member" "app_monitoring_editor" {
  folder_id = var.folder_id
  role      = "monitoring.editor"
  member    = "serviceAccount:${yandex_iam_service_account.app.id}"
}

# Instance Groups creates, updates and deletes the VMs, registers web instances in the load
# balancer's target group and attaches the app service account to the VMs it creates.
resource "yandex_iam_service_account" "instance_groups" {
  name        = "${var.name}-ig"
  description = "Manages the Messenger instance groups."
}

resource "yandex_resourcemanager_folder_iam_member" "instance_groups" {
  for_each = toset(["compute.editor", "vpc.user", "alb.editor"])

  folder_id = var.folder_id
  role      = each.value
  member    = "serviceAccount:${yandex_iam_service_account.instance_groups.id}"
}

resource "yandex_iam_service_account_iam_member" "instance_groups_use_app" {
  service_account_id = yandex_iam_service_account.app.id
  role               = "iam.serviceAccounts.user"
  member             = "serviceAccount:${yandex_iam_service_account.instance_groups.id}"
}

# CI's identity for releases: pushes images and uploads the built widget, nothing else. Its
# authorized key is created by hand (`yc iam key create`) and kept in CI's secret store.
resource "yandex_iam_service_account" "deployer" {
  name        = "${var.name}-deployer"
  description = "CI: pushes Messenger images and widget builds."
}

resource "yandex_container_registry_iam_binding" "deployer_pusher" {
  registry_id = yandex_container_registry.main.id
  role        = "container-registry.images.pusher"
  members     = ["serviceAccount:${yandex_iam_service_account.deployer.id}"]
}

resource "yandex_storage_bucket_iam_binding" "widget_uploader" {
  bucket  = yandex_storage_bucket.widget.bucket
  role    = "storage.uploader"
  members = ["serviceAccount:${yandex_iam_service_account.deployer.id}"]
}
