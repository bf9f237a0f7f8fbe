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

variable "network_mode" {
  description = "How the functions reach Tablestore and STS: vpc (a VPC, the instance attached to it, VPC endpoints; Tablestore refuses the internet) or public (public endpoints over the functions' internet access; no VPC)."
  type        = string
  default     = "vpc"
  validation {
    condition     = contains(["vpc", "public"], var.network_mode)
    error_message = "network_mode must be vpc or public."
  }
}

variable "zone_id" {
  description = "Zone of the functions' vSwitch (network_mode vpc), for example cn-hangzhou-h: one where Function Compute offers VPC access."
  type        = string
  default     = ""
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC created in network_mode vpc."
  type        = string
  default     = "10.42.0.0/16"
}

variable "vswitch_cidr" {
  description = "CIDR block of the functions' vSwitch (inside vpc_cidr)."
  type        = string
  default     = "10.42.1.0/24"
}

variable "domain_name" {
  description = "Custom domain of the API (for example camera.example.com); its DNS CNAME must point at <account_id>.<region>.fc.aliyuncs.com before apply."
  type        = string
}

variable "certificate_name" {
  description = "Name of the domain's certificate in Function Compute."
  type        = string
  default     = "camera-api"
}

variable "certificate_pem" {
  description = "PEM certificate chain of domain_name (leaf first)."
  type        = string
}

variable "certificate_private_key" {
  description = "PEM private key of the certificate. Keep it in a secret store."
  type        = string
  sensitive   = true
}

variable "package_dir" {
  description = "Directory with the function packages built by `make fc-package` (<function>.zip)."
  type        = string
  default     = "../../.build/fc"
}

variable "signing_key" {
  description = "Master key (at least 32 characters) that derives device secrets and signs owner tokens and paging cursors. Keep it in a secret store."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.signing_key) >= 32
    error_message = "signing_key must be at least 32 characters."
  }
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
