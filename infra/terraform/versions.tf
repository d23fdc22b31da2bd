terraform {
  required_version = ">= 1.6"

  required_providers {
    yandex = {
      source  = "yandex-cloud/yandex"
      version = "~> 0.230"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # State lives in an Object Storage bucket created once by hand (see README.md). This is a
  # partial configuration: bucket and key come from
  #   terraform init -backend-config=environments/production.tfbackend
  # and the static key of the state bucket's service account from AWS_ACCESS_KEY_ID /
  # AWS_SECRET_ACCESS_KEY in the operator's shell.
  backend "s3" {
    endpoints = {
      s3 = "https://storage.yandexcloud.net"
    }
    region = "ru-central1"

    # Object Storage speaks S3 but is not AWS: skip the AWS-only checks.
    skip_region_validation      = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_s3_checksum            = true
  }
}
