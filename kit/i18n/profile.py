"""Section 1, customer profile: keys under ``profile.``."""

TEXT: dict[str, dict[str, str]] = {
}
