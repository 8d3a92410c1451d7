"""Section 3.1-3.2, RFM segments and their profiles: keys under ``rfm.``."""

TEXT: dict[str, dict[str, str]] = {
}
