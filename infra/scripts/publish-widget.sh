#!/usr/bin/env bash
# Uploads the widget built into a release image to the widget bucket, under cdn/ (the path it has
# on the Messenger host). Run before rolling the web role onto that image.
#
#   infra/scripts/publish-widget.sh <image> <bucket>
#
# Needs docker and the AWS CLI with the deployer's static key (AWS_ACCESS_KEY_ID /
# AWS_SECRET_ACCESS_KEY). Content-hashed files go first and are never deleted: pages rendered
# by older instances keep finding theirs. loader.js and manifest.json go last, so nothing they
# name is missing.
set -euo pipefail

image=${1:?usage: publish-widget.sh <image> <bucket>}
bucket=${2:?usage: publish-widget.sh <image> <bucket>}
endpoint=https://storage.yandexcloud.net

work=$(mktemp -d)
container=$(docker create "$image")
trap 'docker rm -f "$container" >/dev/null; rm -rf "$work"' EXIT
docker cp "$container:/app/widget-cdn/dist/." "$work/"

s3() { aws --endpoint-url "$endpoint" s3 "$@"; }

s3 cp "$work/" "s3://$bucket/cdn/" --recursive \
  --exclude "loader.js" --exclude "manifest.json" \
  --content-type "text/javascript; charset=utf-8" \
  --cache-control "public, max-age=31536000, immutable"
s3 cp "$work/manifest.json" "s3://$bucket/cdn/manifest.json" \
  --content-type "application/json" --cache-control "public, max-age=300"
s3 cp "$work/loader.js" "s3://$bucket/cdn/loader.js" \
  --content-type "text/javascript; charset=utf-8" --cache-control "public, max-age=300"
