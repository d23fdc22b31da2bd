"""Tests of the production deployment in infra/: Terraform, the image, the secret entrypoint."""
