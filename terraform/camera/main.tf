data "alicloud_account" "current" {}

locals {
  account_id = data.alicloud_account.current.id
  # Function key (directory under fc_functions/) => FC settings. tests/unit/terraform checks these against
  # fc_functions/functions.json, the packages' own list.
  functions = {
    device_manager = { handler = "index.handler", memory_size = 256, timeout = 10 }
    upload_handler = { handler = "index.handler", memory_size = 256, timeout = 30 }
    image_query    = { handler = "index.handler", memory_size = 256, timeout = 10 }
  }
  function_names = { for key, fn in local.functions : key => "${var.name}-${replace(key, "_", "-")}" }
  runtime        = "python3.10"
  ots_endpoint   = "https://${var.ots_instance_name}.${var.region}.vpc.tablestore.aliyuncs.com"
  table_arn      = "acs:ots:${var.region}:${local.account_id}:instance/${var.ots_instance_name}/table"
  function_arn   = "acs:fc:${var.region}:${local.account_id}:functions"
  common_environment = {
    CAMERA_REGION          = var.region
    CAMERA_BUCKET          = var.bucket_name
    CAMERA_OSS_ENDPOINT    = "https://oss-${var.region}-internal.aliyuncs.com"
    CAMERA_OTS_ENDPOINT    = local.ots_endpoint
    CAMERA_OTS_INSTANCE    = var.ots_instance_name
    CAMERA_IMAGES_TABLE    = "images"
    CAMERA_DEVICES_TABLE   = "devices"
    CAMERA_NONCES_TABLE    = "device_nonces"
    CAMERA_DEVICE_ROLE_ARN = alicloud_ram_role.device_upload.arn
    CAMERA_SIGNING_KEY     = var.signing_key
    CAMERA_OWNER_HEADER    = "x-camera-owner"
  }
}
