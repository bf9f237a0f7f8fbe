# network_type_acl replaces the deprecated accessed_by: VPC only (the attached VPC, network.tf) or the internet.
resource "alicloud_ots_instance" "camera" {
  name             = var.ots_instance_name
  description      = "Camera backend metadata"
  network_type_acl = local.vpc ? ["VPC"] : ["INTERNET", "VPC"]
  instance_type    = "Capacity"
  tags             = var.tags
}

# Encryption everywhere uses service-managed keys (SSE_KMS_SERVICE here, OSS-managed KMS key on the bucket):
# nothing to grant, and no customer key is offered that a role could not use.

# One row per image: pk (partition_key = device_id, row_key = <13-digit ms>-<suffix> from the object key).
resource "alicloud_ots_table" "images" {
  instance_name                 = alicloud_ots_instance.camera.name
  table_name                    = "images"
  time_to_live                  = var.image_retention_days * 86400
  max_version                   = 1
  deviation_cell_version_in_sec = 86400
  enable_sse                    = true
  sse_key_type                  = "SSE_KMS_SERVICE"

  primary_key {
    name = "partition_key"
    type = "String"
  }
  primary_key {
    name = "row_key"
    type = "String"
  }

  defined_column {
    name = "device_id"
    type = "String"
  }
  defined_column {
    name = "has_motion"
    type = "Boolean"
  }
  defined_column {
    name = "oss_path_original"
    type = "String"
  }
  defined_column {
    name = "oss_path_thumbnail"
    type = "String"
  }
  defined_column {
    name = "created_at"
    type = "Integer"
  }
  defined_column {
    name = "image_size"
    type = "Integer"
  }
}

# One row per device: owner, salt and SHA-256 fingerprint of the device secret (never the secret), webhook.
resource "alicloud_ots_table" "devices" {
  instance_name = alicloud_ots_instance.camera.name
  table_name    = "devices"
  time_to_live  = -1
  max_version   = 1
  enable_sse    = true
  sse_key_type  = "SSE_KMS_SERVICE"

  primary_key {
    name = "device_id"
    type = "String"
  }
}

# Nonces of signed device requests, kept one day (the shortest Tablestore TTL) to refuse replays.
resource "alicloud_ots_table" "device_nonces" {
  instance_name = alicloud_ots_instance.camera.name
  table_name    = "device_nonces"
  time_to_live  = 86400
  max_version   = 1
  enable_sse    = true
  sse_key_type  = "SSE_KMS_SERVICE"

  primary_key {
    name = "device_id"
    type = "String"
  }
  primary_key {
    name = "nonce"
    type = "String"
  }
}
