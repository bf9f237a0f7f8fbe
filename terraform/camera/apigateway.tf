# Every API requires APP authentication (signed with an app key/secret issued by API Gateway). Owner APIs use
# MAPPING mode: only the declared parameters reach the function, and the owner identity header is set by the
# gateway from the authenticated app (system parameter CaAppId) - a client cannot supply it. Device APIs are
# additionally signed per device (HMAC with timestamp and nonce), verified by the functions.

locals {
  apis = {
    register = { function = "device_manager", method = "POST", path = "/register", owner = true, description = "Register a device (owner)" }
    token    = { function = "device_manager", method = "POST", path = "/token", owner = false, description = "Device upload token (device-signed)" }
    report   = { function = "upload_handler", method = "POST", path = "/images", owner = false, description = "Record an uploaded image (device-signed)" }
    images   = { function = "image_query", method = "GET", path = "/images", owner = true, description = "List a device's images (owner)" }
  }
  device_headers = ["X-Camera-Device", "X-Camera-Timestamp", "X-Camera-Nonce", "X-Camera-Signature"]
  query_params   = ["device_id", "start", "end", "limit", "motion", "cursor"]
}

resource "alicloud_api_gateway_group" "camera" {
  name        = "${var.name}_api"
  description = "Camera backend"
}

resource "alicloud_api_gateway_api" "camera" {
  for_each     = local.apis
  group_id     = alicloud_api_gateway_group.camera.id
  name         = "${var.name}_${each.key}"
  description  = each.value.description
  auth_type    = "APP"
  service_type = "FunctionCompute"
  stage_names  = ["RELEASE"]

  request_config {
    protocol    = "HTTPS"
    method      = each.value.method
    path        = each.value.path
    mode        = "MAPPING"
    body_format = each.value.method == "POST" ? "STREAM" : null
  }

  fc_service_config {
    region           = var.region
    function_version = "3.0"
    function_type    = "FCEvent"
    function_name    = alicloud_fcv3_function.camera[each.value.function].function_name
    qualifier        = "LATEST"
    arn_role         = alicloud_ram_role.gateway.arn
    timeout          = 30000
  }

  dynamic "system_parameters" {
    for_each = each.value.owner ? ["CaAppId"] : []
    content {
      name         = system_parameters.value
      in           = "HEADER"
      name_service = "x-camera-owner"
    }
  }

  dynamic "request_parameters" {
    for_each = each.key == "images" ? local.query_params : (each.value.owner ? [] : local.device_headers)
    content {
      name         = request_parameters.value
      type         = "STRING"
      required     = each.key == "images" && request_parameters.value != "device_id" ? "OPTIONAL" : "REQUIRED"
      in           = each.key == "images" ? "QUERY" : "HEAD"
      in_service   = each.key == "images" ? "QUERY" : "HEAD"
      name_service = request_parameters.value
    }
  }
}

# One app for the owners' service and one for the camera fleet; each gets access to its own APIs only.
resource "alicloud_api_gateway_app" "owners" {
  name        = "${var.name}_owners"
  description = "Owner-facing service (register devices, query images)"
}

resource "alicloud_api_gateway_app" "devices" {
  name        = "${var.name}_devices"
  description = "Camera fleet (tokens and upload reports; each request also signed per device)"
}

resource "alicloud_api_gateway_app_attachment" "camera" {
  for_each   = local.apis
  api_id     = alicloud_api_gateway_api.camera[each.key].api_id
  group_id   = alicloud_api_gateway_group.camera.id
  app_id     = each.value.owner ? alicloud_api_gateway_app.owners.id : alicloud_api_gateway_app.devices.id
  stage_name = "RELEASE"
}
