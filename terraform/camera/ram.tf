# Least privilege: one role per function, trusted by Function Compute only. The device upload role is trusted
# only by the device-manager function's role, the device read role only by the image-query function's role
# (not by the whole FC service); every session narrows them further with a per-device session policy
# (fc_functions/shared/camera_common/security.py): a token writes, a signed URL reads, one device's prefix.

locals {
  fc_trust = jsonencode({
    Version   = "1"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = ["fc.aliyuncs.com"] } }]
  })
  images_table  = "${local.table_arn}/images"
  devices_table = "${local.table_arn}/devices"
  nonces_table  = "${local.table_arn}/device_nonces"

  function_policies = {
    device_manager = [
      { Effect = "Allow", Action = ["ots:GetRow", "ots:PutRow"], Resource = [local.devices_table] },
      { Effect = "Allow", Action = ["ots:PutRow"], Resource = [local.nonces_table] },
      { Effect = "Allow", Action = ["sts:AssumeRole"], Resource = [alicloud_ram_role.device_upload.arn] },
    ]
    upload_handler = [
      { Effect = "Allow", Action = ["ots:GetRow", "ots:PutRow", "ots:UpdateRow"], Resource = [local.images_table] },
      { Effect = "Allow", Action = ["ots:GetRow"], Resource = [local.devices_table] },
      { Effect = "Allow", Action = ["ots:PutRow"], Resource = [local.nonces_table] },
      { Effect = "Allow", Action = ["oss:GetObject", "oss:GetObjectMeta"], Resource = ["acs:oss:*:*:${var.bucket_name}/devices/*"] },
    ]
    image_query = [
      { Effect = "Allow", Action = ["ots:GetRow", "ots:GetRange"], Resource = [local.images_table] },
      { Effect = "Allow", Action = ["ots:GetRow"], Resource = [local.devices_table] },
      { Effect = "Allow", Action = ["sts:AssumeRole"], Resource = [alicloud_ram_role.device_read.arn] },
    ]
  }
}

resource "alicloud_ram_role" "function" {
  for_each                    = local.functions
  role_name                   = "${local.function_names[each.key]}-fn"
  description                 = "Runs the ${each.key} camera function"
  assume_role_policy_document = local.fc_trust
  max_session_duration        = 3600
}

resource "alicloud_ram_policy" "function" {
  for_each    = local.functions
  policy_name = "${local.function_names[each.key]}-fn"
  description = "What the ${each.key} camera function may do"
  policy_document = jsonencode({
    Version = "1"
    Statement = concat(local.function_policies[each.key], [{
      Effect   = "Allow", Action = ["log:PostLogStoreLogs"],
      Resource = ["acs:log:${var.region}:${local.account_id}:project/${alicloud_log_project.camera.project_name}/logstore/functions"]
    }])
  })
}

resource "alicloud_ram_role_policy_attachment" "function" {
  for_each    = local.functions
  role_name   = alicloud_ram_role.function[each.key].role_name
  policy_name = alicloud_ram_policy.function[each.key].policy_name
  policy_type = "Custom"
}

# Assumed by device-manager for a device token; only its role may assume it.
resource "alicloud_ram_role" "device_upload" {
  role_name   = "${var.name}-device-upload"
  description = "Camera uploads; every token is narrowed to one device prefix by a session policy"
  assume_role_policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Effect    = "Allow", Action = "sts:AssumeRole",
      Principal = { RAM = [alicloud_ram_role.function["device_manager"].arn] }
    }]
  })
  max_session_duration = 3600
}

resource "alicloud_ram_policy" "device_upload" {
  policy_name = "${var.name}-device-upload"
  description = "PutObject of originals and thumbnails; each token is narrowed to devices/<id>/"
  policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Effect   = "Allow", Action = ["oss:PutObject"],
      Resource = ["acs:oss:*:*:${var.bucket_name}/devices/*", "acs:oss:*:*:${var.bucket_name}/thumbnails/devices/*"]
    }]
  })
}

resource "alicloud_ram_role_policy_attachment" "device_upload" {
  role_name   = alicloud_ram_role.device_upload.role_name
  policy_name = alicloud_ram_policy.device_upload.policy_name
  policy_type = "Custom"
}

# OSS invokes upload_handler on ObjectCreated events.
resource "alicloud_ram_role" "oss_trigger" {
  role_name   = "${var.name}-oss-trigger"
  description = "OSS invokes the camera upload handler"
  assume_role_policy_document = jsonencode({
    Version   = "1"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = ["oss.aliyuncs.com"] } }]
  })
}

resource "alicloud_ram_policy" "oss_trigger" {
  policy_name = "${var.name}-oss-trigger"
  policy_document = jsonencode({
    Version   = "1"
    Statement = [{ Effect = "Allow", Action = ["fc:InvokeFunction"], Resource = ["${local.function_arn}/${local.function_names["upload_handler"]}"] }]
  })
}

resource "alicloud_ram_role_policy_attachment" "oss_trigger" {
  role_name   = alicloud_ram_role.oss_trigger.role_name
  policy_name = alicloud_ram_policy.oss_trigger.policy_name
  policy_type = "Custom"
}

# Assumed by image-query for the credentials that sign an owner's URLs; only its role may assume it.
resource "alicloud_ram_role" "device_read" {
  role_name   = "${var.name}-device-read"
  description = "Signed image URLs; every session is narrowed to one device prefix by a session policy"
  assume_role_policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Effect    = "Allow", Action = "sts:AssumeRole",
      Principal = { RAM = [alicloud_ram_role.function["image_query"].arn] }
    }]
  })
  max_session_duration = 3600
}

resource "alicloud_ram_policy" "device_read" {
  policy_name = "${var.name}-device-read"
  description = "GetObject of originals and thumbnails; each session is narrowed to devices/<id>/"
  policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Effect   = "Allow", Action = ["oss:GetObject"],
      Resource = ["acs:oss:*:*:${var.bucket_name}/devices/*", "acs:oss:*:*:${var.bucket_name}/thumbnails/devices/*"]
    }]
  })
}

resource "alicloud_ram_role_policy_attachment" "device_read" {
  role_name   = alicloud_ram_role.device_read.role_name
  policy_name = alicloud_ram_policy.device_read.policy_name
  policy_type = "Custom"
}
