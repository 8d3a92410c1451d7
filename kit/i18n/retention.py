"""Section 2.3, repurchase and retention: keys under ``ret.``."""

TEXT: dict[str, dict[str, str]] = {
}
