terraform {
  required_version = ">= 1.5.0"
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = ">= 1.252.0, < 2.0.0" # role_name / assume_role_policy_document of alicloud_ram_role
    }
  }
}

provider "alicloud" {
  region = var.region
}
