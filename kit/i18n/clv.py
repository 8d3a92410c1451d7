"""Section 3.3, customer lifetime value: keys under ``clv.``."""

TEXT: dict[str, dict[str, str]] = {
}
