# Images bucket: private, public access blocked, encrypted with the OSS-managed KMS key, access logs, objects
# under the device prefixes can never be overwritten (so an image that was checked and recorded cannot be
# replaced later by a symlink to another device's object), and one lifecycle rule per prefix: OSS refuses two
# rules with the same action on overlapping prefixes. No versioning: nothing can be overwritten, and every
# expiration then really frees the space (no noncurrent versions or delete markers left behind).
resource "alicloud_oss_bucket" "images" {
  # checkov:skip=CKV_ALI_11:Transfer acceleration speeds up uploads from far-away clients at extra cost; cameras upload to their own region's endpoint.
  # checkov:skip=CKV_ALI_6:Encrypted with the OSS-managed KMS key on purpose: a customer key would need kms grants in every per-device upload and read session; not offered (issue 15).
  # checkov:skip=CKV_ALI_10:Versioning is off on purpose: overwrites are forbidden (alicloud_oss_bucket_overwrite_config) and expired images must free their space.
  bucket        = var.bucket_name
  storage_class = "Standard"
  tags          = var.tags

  server_side_encryption_rule {
    sse_algorithm = "KMS"
  }

  logging {
    target_bucket = var.log_bucket
    target_prefix = "oss-access/${var.bucket_name}/"
  }

  # Originals: devices/<device_id>/<ms>-<suffix>.jpg
  lifecycle_rule {
    id      = "images"
    prefix  = "devices/"
    enabled = true
    expiration {
      days = var.image_retention_days
    }
    abort_multipart_upload {
      days = 1
    }
  }

  # Thumbnails: thumbnails/devices/<device_id>/<ms>-<suffix>.jpg
  lifecycle_rule {
    id      = "thumbnails"
    prefix  = "thumbnails/"
    enabled = true
    expiration {
      days = var.thumbnail_retention_days
    }
    abort_multipart_upload {
      days = 1
    }
  }
}

resource "alicloud_oss_bucket_acl" "images" {
  bucket = alicloud_oss_bucket.images.bucket
  acl    = "private"
}

resource "alicloud_oss_bucket_public_access_block" "images" {
  bucket              = alicloud_oss_bucket.images.bucket
  block_public_access = true
}

# PutObject and PutSymlink on an existing key are refused under both prefixes, whoever asks.
resource "alicloud_oss_bucket_overwrite_config" "images" {
  bucket = alicloud_oss_bucket.images.bucket

  rule {
    id     = "devices"
    action = "forbid"
    prefix = "devices/"
  }

  rule {
    id     = "thumbnails"
    action = "forbid"
    prefix = "thumbnails/"
  }
}
