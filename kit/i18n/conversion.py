"""Section 2, conversion path and repurchase: keys under ``conv.``."""

TEXT: dict[str, dict[str, str]] = {
}
