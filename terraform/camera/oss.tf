# Images bucket: private, public access blocked, KMS encryption, versioning, access logs, and lifecycle rules
# that really free space under versioning (noncurrent versions and orphaned delete markers expire too).
resource "alicloud_oss_bucket" "images" {
  # checkov:skip=CKV_ALI_11:Transfer acceleration speeds up uploads from far-away clients at extra cost; cameras upload to their own region's endpoint.
  bucket        = var.bucket_name
  storage_class = "Standard"
  tags          = var.tags

  versioning {
    status = "Enabled"
  }

  server_side_encryption_rule {
    sse_algorithm     = "KMS"
    kms_master_key_id = var.kms_key_id == "" ? null : var.kms_key_id
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
    noncurrent_version_expiration {
      days = 1
    }
    abort_multipart_upload {
      days = 1
    }
  }

  lifecycle_rule {
    id      = "images-delete-markers"
    prefix  = "devices/"
    enabled = true
    expiration {
      expired_object_delete_marker = true
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
    noncurrent_version_expiration {
      days = 1
    }
    abort_multipart_upload {
      days = 1
    }
  }

  lifecycle_rule {
    id      = "thumbnails-delete-markers"
    prefix  = "thumbnails/"
    enabled = true
    expiration {
      expired_object_delete_marker = true
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
