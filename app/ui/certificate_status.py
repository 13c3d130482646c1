"""How a certificate's status is shown on every page: label, badge colour and icon."""

CERTIFICATE_STATUS = {
    "valid": ("Valid", "green", ":material/verified:"),
    "expired": ("Expired", "orange", ":material/schedule:"),
    "revoked": ("Revoked", "red", ":material/block:"),
}
