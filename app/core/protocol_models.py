"""The dispatch-model codes (shared by the store and the protocol)."""

DISPATCH_MODELS = ("call_center_led", "embedded_professional", "external_hotline")
