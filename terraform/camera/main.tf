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
  # Endpoints that match the network mode (network.tf): VPC endpoints need the function's VPC interface.
  ots_endpoint = local.vpc ? "https://${var.ots_instance_name}.${var.region}.vpc.tablestore.aliyuncs.com" : "https://${var.ots_instance_name}.${var.region}.ots.aliyuncs.com"
  sts_endpoint = local.vpc ? "sts-vpc.${var.region}.aliyuncs.com" : "sts.${var.region}.aliyuncs.com"
  # Server-side HEADs: the internal endpoint is reachable from FC in both modes. URLs for people: public.
  oss_endpoint        = "https://oss-${var.region}-internal.aliyuncs.com"
  oss_public_endpoint = "https://oss-${var.region}.aliyuncs.com"
  table_arn           = "acs:ots:${var.region}:${local.account_id}:instance/${var.ots_instance_name}/table"
  function_arn        = "acs:fc:${var.region}:${local.account_id}:functions"
  common_environment = {
    CAMERA_REGION              = var.region
    CAMERA_BUCKET              = var.bucket_name
    CAMERA_OSS_ENDPOINT        = local.oss_endpoint
    CAMERA_OSS_PUBLIC_ENDPOINT = local.oss_public_endpoint
    CAMERA_OTS_ENDPOINT        = local.ots_endpoint
    CAMERA_OTS_INSTANCE        = var.ots_instance_name
    CAMERA_STS_ENDPOINT        = local.sts_endpoint
    CAMERA_IMAGES_TABLE        = "images"
    CAMERA_DEVICES_TABLE       = "devices"
    CAMERA_NONCES_TABLE        = "device_nonces"
    CAMERA_DEVICE_ROLE_ARN     = alicloud_ram_role.device_upload.arn
    CAMERA_READER_ROLE_ARN     = alicloud_ram_role.device_read.arn
    CAMERA_SIGNING_KEY         = var.signing_key
  }
}
