variable "region" {
  description = "Region of every resource, for example cn-hangzhou."
  type        = string
}

variable "name" {
  description = "Name prefix of every resource (lower case letters, digits and hyphens)."
  type        = string
  default     = "camera"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 lower case letters, digits or hyphens, starting with a letter."
  }
}

variable "bucket_name" {
  description = "Name of the OSS bucket for images (globally unique)."
  type        = string
}

variable "ots_instance_name" {
  description = "Tablestore instance name (3-16 letters, digits or hyphens)."
  type        = string
  default     = "camera"
}

variable "package_dir" {
  description = "Directory with the function packages built by `make fc-package` (<function>.zip)."
  type        = string
  default     = "../../.build/fc"
}

variable "signing_key" {
  description = "Master key (at least 32 characters) that derives device secrets and signs paging cursors. Keep it in a secret store."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.signing_key) >= 32
    error_message = "signing_key must be at least 32 characters."
  }
}

variable "kms_key_id" {
  description = "KMS key ID for OSS and Tablestore server-side encryption; empty uses the service-managed KMS key."
  type        = string
  default     = ""
}

variable "log_bucket" {
  description = "Existing bucket that receives the image bucket's access logs."
  type        = string
}

variable "image_retention_days" {
  description = "Days an original image (and its metadata row) is kept."
  type        = number
  default     = 30
}

variable "thumbnail_retention_days" {
  description = "Days a thumbnail is kept."
  type        = number
  default     = 7
}

variable "tags" {
  description = "Tags added to every resource that supports them."
  type        = map(string)
  default     = { app = "camera" }
}
