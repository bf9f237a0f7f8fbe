# network_mode = "vpc": the functions run with a VPC interface, Tablestore accepts only this VPC (attached
# instance, VPC endpoint), STS is called on its VPC endpoint, OSS HEADs go to the internal endpoint.
# network_mode = "public": no VPC; Tablestore accepts the internet and the functions use public endpoints.
# Either way the URLs handed to people use the public OSS endpoint.

locals {
  vpc = var.network_mode == "vpc"
}

resource "alicloud_vpc" "camera" {
  count      = local.vpc ? 1 : 0
  vpc_name   = "${var.name}-vpc"
  cidr_block = var.vpc_cidr
  tags       = var.tags
}

resource "alicloud_vswitch" "functions" {
  count        = local.vpc ? 1 : 0
  vswitch_name = "${var.name}-functions"
  vpc_id       = alicloud_vpc.camera[0].id
  cidr_block   = var.vswitch_cidr
  zone_id      = var.zone_id
  tags         = var.tags

  lifecycle {
    precondition {
      condition     = var.zone_id != ""
      error_message = "network_mode vpc needs zone_id (a zone where Function Compute offers VPC access)."
    }
  }
}

# No ingress rule: nothing calls into the functions' interfaces; egress (Tablestore, STS, OSS) is open.
resource "alicloud_security_group" "functions" {
  count               = local.vpc ? 1 : 0
  security_group_name = "${var.name}-functions"
  description         = "Camera functions (egress only)"
  vpc_id              = alicloud_vpc.camera[0].id
  tags                = var.tags
}

resource "alicloud_ots_instance_attachment" "camera" {
  count         = local.vpc ? 1 : 0
  instance_name = alicloud_ots_instance.camera.name
  vpc_name      = "${substr(replace(var.name, "-", ""), 0, 13)}vpc" # letters and digits, 3-16
  vswitch_id    = alicloud_vswitch.functions[0].id
}
