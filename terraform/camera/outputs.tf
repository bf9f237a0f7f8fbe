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

output "device_read_role_arn" {
  description = "Role behind signed image URLs (assumable only by the image-query function's role)."
  value       = alicloud_ram_role.device_read.arn
}

output "api_url" {
  description = "Base URL of the API (custom domain, HTTPS)."
  value       = "https://${alicloud_fcv3_custom_domain.api.custom_domain_name}"
}

output "vpc_id" {
  description = "VPC of the functions (network_mode vpc), null in public mode."
  value       = local.vpc ? alicloud_vpc.camera[0].id : null
}
