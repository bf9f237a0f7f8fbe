resource "alicloud_log_project" "camera" {
  project_name = "${var.name}-${local.account_id}-logs"
  description  = "Camera function logs"
  tags         = var.tags
}

resource "alicloud_log_store" "functions" {
  project_name     = alicloud_log_project.camera.project_name
  logstore_name    = "functions"
  retention_period = 30
  shard_count      = 2
}

resource "alicloud_fcv3_function" "camera" {
  for_each      = local.functions
  function_name = local.function_names[each.key]
  description   = "Camera backend: ${each.key}"
  runtime       = local.runtime
  handler       = each.value.handler
  memory_size   = each.value.memory_size
  timeout       = each.value.timeout

  # The role's temporary credentials are injected into the function: no access key is ever configured.
  role = alicloud_ram_role.function[each.key].arn
  # public mode: Tablestore and STS are reached over the internet. vpc mode: through the VPC interface; only
  # upload_handler needs the internet (motion webhooks to Feishu / DingTalk).
  internet_access = !local.vpc || each.key == "upload_handler"

  environment_variables = local.common_environment

  code {
    zip_file = filebase64("${var.package_dir}/${each.key}.zip")
  }

  dynamic "vpc_config" {
    for_each = local.vpc ? [1] : []
    content {
      vpc_id            = alicloud_vpc.camera[0].id
      vswitch_ids       = [alicloud_vswitch.functions[0].id]
      security_group_id = alicloud_security_group.functions[0].id
    }
  }

  log_config {
    project                 = alicloud_log_project.camera.project_name
    logstore                = alicloud_log_store.functions.logstore_name
    enable_request_metrics  = true
    enable_instance_metrics = true
  }

  depends_on = [alicloud_ram_role_policy_attachment.function, alicloud_ots_instance_attachment.camera]
}

# HTTP triggers without the default *.fcapp.run URL: requests come only through the custom domain. They are
# anonymous at the HTTP level because the functions authenticate every request themselves: devices sign each
# request (HMAC, timestamp, nonce), owners' services send an owner token signed with the master key; no header
# a caller sets is trusted as an identity.
resource "alicloud_fcv3_trigger" "http" {
  for_each      = local.functions
  function_name = alicloud_fcv3_function.camera[each.key].function_name
  trigger_name  = "http"
  trigger_type  = "http"
  qualifier     = "LATEST"
  trigger_config = jsonencode({
    authType           = "anonymous"
    methods            = ["GET", "POST"]
    disableURLInternet = true
  })
}

resource "alicloud_fcv3_trigger" "oss" {
  function_name   = alicloud_fcv3_function.camera["upload_handler"].function_name
  trigger_name    = "oss-object-created"
  trigger_type    = "oss"
  qualifier       = "LATEST"
  source_arn      = "acs:oss:${var.region}:${local.account_id}:${alicloud_oss_bucket.images.bucket}"
  invocation_role = alicloud_ram_role.oss_trigger.arn
  trigger_config = jsonencode({
    events = ["oss:ObjectCreated:PutObject", "oss:ObjectCreated:PostObject", "oss:ObjectCreated:CompleteMultipartUpload"]
    filter = { key = { prefix = "devices/", suffix = "" } }
  })
}
