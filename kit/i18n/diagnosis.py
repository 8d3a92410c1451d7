"""Section 4, diagnosis and recommendations: keys under ``diag.``."""

TEXT: dict[str, dict[str, str]] = {
}
