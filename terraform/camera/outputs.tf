output "bucket" {
  description = "Images bucket."
  value       = alicloud_oss_bucket.images.bucket
}

output "ots_instance" {
  description = "Tablestore instance."
  value       = alicloud_ots_instance.camera.name
}

output "function_names" {
  description = "Function key => FC function name."
  value       = { for key, fn in alicloud_fcv3_function.camera : key => fn.function_name }
}

output "function_role_arns" {
  description = "Function key => ARN of the role it runs with."
  value       = { for key, role in alicloud_ram_role.function : key => role.arn }
}

output "device_upload_role_arn" {
  description = "Role behind device tokens (assumable only by the device-manager function's role)."
  value       = alicloud_ram_role.device_upload.arn
}

output "api_group_id" {
  description = "API Gateway group."
  value       = alicloud_api_gateway_group.camera.id
}

output "api_subdomain" {
  description = "Default domain of the API group."
  value       = alicloud_api_gateway_group.camera.sub_domain
}

output "owner_app_id" {
  description = "API Gateway app for the owners' service."
  value       = alicloud_api_gateway_app.owners.id
}

output "device_app_id" {
  description = "API Gateway app for the camera fleet."
  value       = alicloud_api_gateway_app.devices.id
}
