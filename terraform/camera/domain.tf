# The API on the operator's own domain, HTTPS only (TLS 1.2+), with its certificate. Routes as in
# docs/camera-backend.md: /register and /token -> device_manager, /images -> upload_handler (POST, device)
# and image_query (GET, owner).
locals {
  routes = [
    { path = "/register", function = "device_manager", methods = ["POST"] },
    { path = "/token", function = "device_manager", methods = ["POST"] },
    { path = "/images", function = "upload_handler", methods = ["POST"] },
    { path = "/images", function = "image_query", methods = ["GET"] },
  ]
}

resource "alicloud_fcv3_custom_domain" "api" {
  custom_domain_name = var.domain_name
  protocol           = "HTTPS"

  cert_config {
    cert_name   = var.certificate_name
    certificate = var.certificate_pem
    private_key = var.certificate_private_key
  }

  tls_config {
    min_version   = "TLSv1.2"
    max_version   = "TLSv1.3"
    cipher_suites = ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
  }

  auth_config {
    auth_type = "anonymous"
  }

  route_config {
    dynamic "routes" {
      for_each = local.routes
      content {
        path          = routes.value.path
        function_name = alicloud_fcv3_function.camera[routes.value.function].function_name
        qualifier     = "LATEST"
        methods       = routes.value.methods
      }
    }
  }

  depends_on = [alicloud_fcv3_trigger.http]
}
