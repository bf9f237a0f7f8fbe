"""Code shared by the camera backend's Function Compute handlers.

Copied into every function package by ``make fc-package``. Nothing here imports an
Aliyun SDK at module level: the SDKs are imported when a request first needs them, so a
cold start only pays for what the handler uses.
"""

__all__ = ["config", "errors", "events", "security", "store", "notify", "clients", "runtime"]
